"""A person's rights over their data (GDPR articles 15, 17 and 20): export it, erase it.

Export gathers everything stored about one contact as plain JSON, under the names documented
in docs/gdpr.md (``gdpr_sections``), the contact's own fields read through the contact card.
Erasure deletes the contact and every row about them, and keeps only the hash of the address
on the suppression list (reason ``erased``), so that nothing is sent to it again unless the
person subscribes anew and confirms. See docs/gdpr.md.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.db.models.fields.reverse_related import ForeignObjectRel
from django.utils import timezone

from goteo.accounts.models import AuditEntry
from goteo.actions.audit import record
from goteo.actions.contact_card import ContactCard, card_of, find_contact
from goteo.actions.errors import ActionError
from goteo.actions.gdpr_sections import SECTIONS, readable
from goteo.actions.suppression import do_suppress
from goteo.campaigns.in_flight import in_flight, wait_for_in_flight
from goteo.campaigns.models import Delivery, Enrollment
from goteo.contacts.models import (
    Consent,
    Contact,
    ProviderEvent,
    Subscription,
    Suppression,
    SuppressionReason,
)
from goteo.contacts.suppression_keys import email_hash

# Read through the contact card (subscriptions, consents, journeys) or a section of their own.
SHOWN = (Subscription, Consent, Enrollment, *SECTIONS)


def _contact(email: str, *, lock: bool = False) -> Contact:
    contact = find_contact(email)
    if not lock:
        return contact
    locked = Contact.objects.select_for_update().filter(id=contact.id).first()
    if locked is None:
        raise ActionError("no such contact", {"email": f"{email!r} is not a contact"})
    return locked


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


def _theirs(model: type[Model], contact: Contact) -> QuerySet[Any]:
    return model._default_manager.filter(contact=contact)


def _section(query: QuerySet[Any], names: dict[str, str]) -> list[dict[str, Any]]:
    return [readable(row, names) for row in query.order_by("id").values(*names.values())]


def _journeys(card: ContactCard) -> list[dict[str, Any]]:
    """The card's journeys, each with its stored state (where it is, what it remembers)."""
    states = dict(Enrollment.objects.filter(contact_id=card.id).values_list("id", "state"))
    return [asdict(j) | {"state": states.get(j.id)} for j in card.journeys]


def do_export_contact(email: str) -> dict[str, Any]:
    """Everything stored about one contact, as JSON-ready data under documented names."""
    contact = _contact(email)
    now = timezone.now()
    card = card_of(contact, now)
    sections = {
        name: _section(
            _events(contact) if model is ProviderEvent else _theirs(model, contact), names
        )
        for model, (name, names) in SECTIONS.items()
    }
    others = {
        str(relation.related_model._meta.verbose_name_plural): list(
            _rows_of(relation, contact).values()
        )
        for relation in _references()
        if relation.related_model not in SHOWN
    }
    data = {
        "exported_at": now,
        "contact": card.person(),
        "subscriptions": [asdict(s) for s in card.subscriptions],
        "consents": [asdict(c) for c in card.consents],
        "journeys": _journeys(card),
        **sections,
        "suppression": Suppression.objects.filter(email_hash=email_hash(contact.email))
        .values("reason", "created_at")
        .first(),
        "other": {label: rows for label, rows in others.items() if rows},
    }
    return dict(_plain(data))


def do_erase_contact(email: str) -> None:
    """Delete the contact and everything about them; keep the address's hash, suppressed.

    Locks the contact's journeys, then the contact (the order the worker takes them in). A
    message in flight must be recorded first (its row goes with the contact): with the contact
    locked no new one can start, so if one is still in flight the erasure waits and tries again.
    """
    while not _erase(email):
        wait_for_in_flight([find_contact(email).id])


def _erase(email: str) -> bool:
    with transaction.atomic():
        found = _contact(email)
        list(Enrollment.objects.select_for_update().filter(contact=found).values_list("id"))
        contact = _contact(found.email, lock=True)
        if in_flight([contact.id]):
            return False
        _events(contact).delete()
        for relation in _references():
            _rows_of(relation, contact).delete()
        contact.delete()
        _redact_audit_log(found.email)
        record("contact.erase", _redacted(found.email), None, None)
        do_suppress(email_hash(found.email), SuppressionReason.ERASED, "erased on request")
    return True


def _redact_audit_log(email: str) -> None:
    """The audit log keeps that a change was made, not the erased person's data: entries about
    the address name its hash instead, and lose their before and after values."""
    AuditEntry.objects.filter(target=email).update(target=_redacted(email), before=None, after=None)


def _redacted(email: str) -> str:
    """What the audit log names an erased address by."""
    return f"erased:{email_hash(email)[:16]}"
