"""Forms: apply a definition, and take a submission (validate, record consent, opt in)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from goteo.actions.audit import record
from goteo.actions.confirming import activate_with_consent
from goteo.actions.messages import do_queue_transactional
from goteo.actions.sms_consent import grant_sms_consent
from goteo.campaigns.delivery_kinds import TRANSACTIONAL
from goteo.campaigns.models import Delivery
from goteo.contacts.fields import ContactInput, check_contact
from goteo.contacts.models import Consent, ConsentText, Contact, ContactStatus, Form
from goteo.contacts.postal import country_parts
from goteo.contacts.tokens import confirm_token
from goteo.content.system import FORM_MESSAGE
from goteo.engine import locales
from goteo.forms.address_fields import COUNTRY, INPUTS, LINE1, error_code, input_of
from goteo.forms.definition import (
    POSTAL,
    FormDefinition,
    consent_version,
    definition_of_source,
    parse_form,
)
from goteo.forms.texts import BODY, SUBJECT, confirmation_locale

HONEYPOT = "website"  # a field people never see; only robots fill it in
IP_WINDOW, ADDRESS_WINDOW, CONFIRM_WINDOW = timedelta(minutes=10), timedelta(hours=1), timedelta(1)
ERROR_CODES = {
    "email": "invalid_email",
    "first_name": "invalid_name",
    "last_name": "invalid_name",
    "phone": "invalid_phone",
    "locale": "invalid_locale",
}


@dataclass(frozen=True)
class FormApplied:
    form: Form
    outcome: str  # "created", "updated" or "unchanged"
    new_consent_version: bool  # the consent text changed: a new version was stored
    definition: FormDefinition


def do_apply_form(source: str) -> FormApplied:
    """Validate (raising FormInvalid with every problem) and store the form.

    A changed consent text becomes a new ConsentText version; old versions are never edited
    or deleted, so every consent record keeps pointing at the words the person saw.
    """
    definition = parse_form(source)
    version = consent_version(definition.consent)
    with transaction.atomic():
        text, new_version = ConsentText.objects.get_or_create(
            form_key=definition.key, version=version, defaults={"text": definition.consent}
        )
        form = Form.objects.select_for_update().filter(key=definition.key).first()
        if form is not None and form.source == source and form.consent_text_id == text.id:
            return FormApplied(form, "unchanged", False, definition)
        outcome = "created" if form is None else "updated"
        before = None if form is None else _audited(form)
        form = form or Form(key=definition.key)
        form.name = definition.name
        form.source = source
        form.locale = definition.locale
        form.double_opt_in = definition.double_opt_in
        form.topics = definition.topic_keys
        form.fields = list(definition.fields)
        form.redirect_url = definition.redirect
        form.consent_text = text
        form.save()
        record("form.apply", form.key, before, _audited(form))
    return FormApplied(form, outcome, new_version, definition)


def _audited(form: Form) -> dict[str, Any]:
    """What the audit log keeps of a form: its name, topics and consent text's version."""
    version = form.consent_text.version if form.consent_text else None
    return {"name": form.name, "topics": form.topics, "consent_version": version}


@dataclass(frozen=True)
class Submitted:
    # "pending" (double opt-in: confirmation owed), "subscribed", "invalid", "limited" (too
    # many submissions) or "ignored" (the honeypot was filled in: nothing is stored)
    status: str
    errors: dict[str, str] = field(default_factory=dict)  # field -> code (see ERROR_CODES)
    contact: Contact | None = None
    consent: Consent | None = None
    confirmation_queued: bool = False


def check_submission(
    definition: FormDefinition, data: Mapping[str, Any]
) -> tuple[ContactInput | None, list[str], dict[str, str]]:
    """Read only the form's own fields; everything else in ``data`` is ignored."""
    values = {name: _one(data.get(name)) for name in definition.fields if name != POSTAL}
    errors: dict[str, str] = {}
    if definition.countries:
        address = {name: _one(data.get(name)) for name, _ in INPUTS}
        errors = _address_errors(definition, address)
        values |= address
    checked, problems = check_contact({k: v for k, v in values.items() if v is not None})
    for name, message in problems.items():
        if name.startswith(POSTAL):  # worded per part: left out, or wrong for the country
            errors.setdefault(input_of(name), error_code(message))
        else:
            errors[name] = ERROR_CODES.get(name, "invalid_field")
    chosen = values.get("locale")
    if chosen and locales.normalize(chosen) not in definition.language_choices:
        errors["locale"] = ERROR_CODES["locale"]  # only a language the menu offers
    if len(definition.topics) == 1:
        topics = definition.topic_keys
    else:
        raw = data.get("topics")
        given = set(raw if isinstance(raw, list | tuple) else [raw])
        topics = [t for t in definition.topic_keys if t in given]
        if not topics:
            errors["topics"] = "no_topic"
    if definition.consent_checkbox and not _one(data.get("agree")):
        errors["agree"] = "consent_required"
    if wants_sms(definition, data) and not values.get("phone"):
        errors.setdefault("phone", "phone_required")
    return (None if errors else checked), topics, errors


def _address_errors(definition: FormDefinition, address: dict[str, str | None]) -> dict[str, str]:
    """The country must be one the form offers, and every part it requires given."""
    country = (address[COUNTRY] or "").upper()
    parts = country_parts(country) if country in definition.countries else None
    if parts is None:
        return {COUNTRY: "address_country_choice"}
    filled = {part for name, part in INPUTS if address[name]}
    missing = {LINE1 if part == "lines" else f"address_{part}" for part in parts.required - filled}
    return dict.fromkeys(sorted(missing), "address_required")


def wants_sms(definition: FormDefinition, data: Mapping[str, Any]) -> bool:
    """The form offers SMS and the person ticked its box."""
    return bool(definition.sms_consent and _one(data.get("sms_agree")))


def _one(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _limited(ip: str | None, email: str, now: datetime) -> bool:
    per_ip = settings.GOTEO_FORM_LIMIT_PER_IP
    per_address = settings.GOTEO_FORM_LIMIT_PER_ADDRESS
    if ip and Consent.objects.filter(ip=ip, submitted_at__gt=now - IP_WINDOW).count() >= per_ip:
        return True
    recent = Consent.objects.filter(
        contact__email=email, submitted_at__gt=now - ADDRESS_WINDOW
    ).count()
    return recent >= per_address


def do_submit_form(
    form: Form, data: Mapping[str, Any], ip: str | None, user_agent: str, now: datetime
) -> Submitted:
    """Take one submission of a public form.

    Double opt-in: the contact (new ones are ``unconfirmed``) gets a confirmation email and
    nothing else until it is confirmed. Single opt-in: subscribed at once, and the campaigns
    triggered by ``subscribed: <topic>`` and ``subscribed: <form key>`` start now.
    """
    if _one(data.get(HONEYPOT)):
        return Submitted("ignored")
    definition = definition_of_source(form.source)
    checked, topics, errors = check_submission(definition, data)
    if checked is None:
        return Submitted("invalid", errors)
    if _limited(ip, checked.email, now):
        return Submitted("limited")
    with transaction.atomic():
        contact = _upsert(checked, definition)
        consent = Consent.objects.create(
            contact=contact,
            form=form,
            consent_text=_text_shown(form, _one(data.get("consent_version"))),
            topics=topics,
            source="form",
            ip=ip,
            user_agent=user_agent[:500],
            submitted_at=now,
        )
        if wants_sms(definition, data) and contact.phone == checked.fields.get("phone"):
            grant_sms_consent(contact, "form", definition.sms_consent, now, ip)
        if not definition.double_opt_in:
            activate_with_consent(contact, [*topics, form.key], now, confirmed=False)
            return Submitted("subscribed", contact=contact, consent=consent)
        queued = _queue_confirmation(contact, consent, form, now)
    return Submitted("pending", contact=contact, consent=consent, confirmation_queued=queued)


def _upsert(checked: ContactInput, definition: FormDefinition) -> Contact:
    """A new contact gets every field given; an existing one only has its blanks filled.

    A public form never overwrites what is known about someone, nor their status.
    """
    contact = Contact.objects.select_for_update().filter(email=checked.email).first()
    fields: dict[str, Any] = {"locale": definition.locale} | checked.fields
    if checked.postal_address:
        fields[POSTAL] = checked.postal_address
    if contact is None:  # becomes active when subscribed (at once, or once confirmed)
        try:
            with transaction.atomic():
                return Contact.objects.create(
                    email=checked.email, status=ContactStatus.UNCONFIRMED, **fields
                )
        except IntegrityError:  # the same address, submitted twice at the same moment
            contact = Contact.objects.select_for_update().get(email=checked.email)
    blanks = {k: v for k, v in fields.items() if v and not getattr(contact, k)}
    if blanks:
        for name, value in blanks.items():
            setattr(contact, name, value)
        contact.save(update_fields=[*blanks, "updated_at"])
    return contact


def _text_shown(form: Form, version: str | None) -> ConsentText | None:
    """The consent text the page showed (its version came with the submission), else the
    form's current one; only this form's own versions are accepted."""
    if version:
        shown = ConsentText.objects.filter(form_key=form.key, version=version).first()
        if shown is not None:
            return shown
    return form.consent_text


def _queue_confirmation(contact: Contact, consent: Consent, form: Form, now: datetime) -> bool:
    """Queue the confirmation email, unless this address had its share today."""
    sent_today = Delivery.objects.filter(
        contact=contact,
        kind=TRANSACTIONAL,
        template="confirm",
        created_at__gt=now - CONFIRM_WINDOW,
    ).count()
    if sent_today >= settings.GOTEO_CONFIRMATIONS_PER_DAY:
        return False
    url = f"{settings.BASE_URL}/c/{confirm_token(consent.id)}"
    context: dict[str, Any] = {"confirm_url": url, "form_name": form.name}
    definition = definition_of_source(form.source)
    locale = confirmation_locale(definition, contact.locale)
    own = definition.texts_for(locale)
    if SUBJECT in own:  # the form's own words (a body comes with every subject)
        context[FORM_MESSAGE] = {"subject": own[SUBJECT], "html": own[BODY]}
    do_queue_transactional(contact, "confirm", context, now, locale=locale)
    return True
