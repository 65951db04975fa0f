"""A person's rights over their data (GDPR articles 15, 17 and 20): export it, erase it.

Export gathers everything stored about one contact as plain JSON. Erasure deletes the contact
and every row about them, and keeps only the hash of the address on the suppression list
(reason ``erased``), so that nothing is sent to it again unless the person subscribes anew and
confirms. See docs/gdpr.md.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.db.models.fields.reverse_related import ForeignObjectRel
from django.utils import timezone

from goteo.actions.errors import ActionError
from goteo.actions.suppression import do_suppress
from goteo.campaigns.models import Delivery, Enrollment
from goteo.contacts.fields import normalize_email
from goteo.contacts.models import (
    Consent,
    Contact,
    ProviderEvent,
    Subscription,
    Suppression,
    SuppressionReason,
)
from goteo.worker.gate import email_hash

CONTACT_FIELDS = (
    "id", "email", "first_name", "last_name", "locale", "timezone", "attributes", "status",
    "postal_address", "paused_until", "soft_bounces", "created_at", "updated_at",
)  # fmt: skip
CONSENT_FIELDS = (
    "form__key", "topics", "source", "ip", "user_agent", "submitted_at", "confirmed_at",
    "consent_text__form_key", "consent_text__version", "consent_text__text",
)  # fmt: skip
ENROLLMENT_FIELDS = (
    "campaign__key", "version__number", "status", "state", "enrolled_at", "due_at", "ended_at",
    "end_reason",
)  # fmt: skip
DELIVERY_FIELDS = (
    "campaign__key", "kind", "step_id", "channel", "template", "locale", "status", "attempts",
    "to_address", "subject", "message_id", "created_at", "next_attempt_at", "sent_at",
    "last_error",
)  # fmt: skip
EVENT_FIELDS = (
    "provider", "event_id", "event_type", "message_id", "delivery_id", "description", "raw",
    "occurred_at", "received_at",
)  # fmt: skip
SHOWN = (Subscription, Consent, Enrollment, Delivery, ProviderEvent)  # each has its own section


def _contact(email: str, *, lock: bool = False) -> Contact:
    try:
        normalized = normalize_email(email)
    except ValueError as exc:
        raise ActionError("not an email address", {"email": str(exc)}) from None
    query = Contact.objects.select_for_update() if lock else Contact.objects.all()
    contact = query.filter(email=normalized).first()
    if contact is None:
        raise ActionError("no such contact", {"email": f"{email!r} is not a contact"})
    return contact


def _references() -> list[ForeignObjectRel]:
    """Every relation from another table to contacts, including hidden ones."""
    return [
        f
        for f in Contact._meta.get_fields(include_hidden=True)
        if isinstance(f, ForeignObjectRel) and f.related_model is not None
    ]


def _rows_of(relation: ForeignObjectRel, contact: Contact) -> QuerySet[Any]:
    model: type[Model] = relation.related_model
    return model._default_manager.filter(**{relation.field.name: contact})


def _events(contact: Contact) -> QuerySet[ProviderEvent]:
    """Provider reports about the contact: by contact, by address hash, or by their message."""
    theirs = Delivery.objects.filter(contact=contact).values("id")
    return ProviderEvent.objects.filter(
        Q(contact=contact) | Q(recipient_hash=email_hash(contact.email)) | Q(delivery_id__in=theirs)
    )


def _plain(value: Any) -> Any:
    """JSON-ready: times as ISO 8601 text, containers walked."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _consent(row: dict[str, Any]) -> dict[str, Any]:
    wording = {k.removeprefix("consent_text__"): row.pop(k) for k in list(row) if "text__" in k}
    row["form"] = row.pop("form__key")
    row["consent_text"] = wording if wording.get("version") else None
    return row


def do_export_contact(email: str) -> dict[str, Any]:
    """Everything stored about one contact, as JSON-ready data."""
    contact = _contact(email)
    by_id = Contact.objects.filter(id=contact.id)
    others = {
        relation.related_model._meta.label: list(_rows_of(relation, contact).values())
        for relation in _references()
        if relation.related_model not in SHOWN
    }
    data = {
        "exported_at": timezone.now(),
        "contact": by_id.values(*CONTACT_FIELDS).get(),
        "subscriptions": list(contact.subscriptions.order_by("id").values("topic", "created_at")),
        "consents": [
            _consent(row) for row in contact.consents.order_by("id").values(*CONSENT_FIELDS)
        ],
        "enrollments": list(contact.enrollments.order_by("id").values(*ENROLLMENT_FIELDS)),
        "deliveries": list(contact.deliveries.order_by("id").values(*DELIVERY_FIELDS)),
        "provider_events": list(_events(contact).order_by("id").values(*EVENT_FIELDS)),
        "suppression": Suppression.objects.filter(email_hash=email_hash(contact.email))
        .values("reason", "created_at")
        .first(),
        "other": {label: rows for label, rows in others.items() if rows},
    }
    return dict(_plain(data))


def do_erase_contact(email: str) -> None:
    """Delete the contact and everything about them; keep the address's hash, suppressed.

    Locks the contact's journeys, then the contact (the order the worker takes them in), so a
    message on the wire is recorded first and nothing is written for the contact afterwards.
    """
    with transaction.atomic():
        found = _contact(email)
        list(Enrollment.objects.select_for_update().filter(contact=found).values_list("id"))
        contact = _contact(found.email, lock=True)
        _events(contact).delete()
        for relation in _references():
            _rows_of(relation, contact).delete()
        contact.delete()
        do_suppress(email_hash(found.email), SuppressionReason.ERASED, "erased on request")
