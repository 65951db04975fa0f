"""Contact writes: upsert by email, status changes. The only code that writes contacts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from goteo.actions.audit import record
from goteo.actions.errors import ActionError
from goteo.actions.suppression import sync_with_status
from goteo.campaigns.in_flight import wait_after_commit
from goteo.contacts.fields import ContactInput, check_contact
from goteo.contacts.models import Contact, ContactStatus


@dataclass(frozen=True)
class Upserted:
    contact: Contact
    created: bool


def apply_input(contact: Contact, data: ContactInput) -> bool:
    """Copy validated fields onto ``contact``; True if anything changed."""
    changed = False
    for name, value in data.fields.items():
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed = True
    if data.postal_address is not None and data.postal_address != contact.postal_address:
        contact.postal_address = data.postal_address
        changed = True
    if data.attributes:
        merged = {**contact.attributes, **data.attributes}
        if merged != contact.attributes:
            contact.attributes = merged
            changed = True
    return changed


def do_upsert_contact(data: Mapping[str, Any]) -> Upserted:
    """Create the contact or update the one with this email (case-insensitive)."""
    checked, errors = check_contact(data)
    if checked is None:
        raise ActionError("invalid contact", errors)
    with transaction.atomic():
        return upsert_checked(checked)


def upsert_checked(checked: ContactInput) -> Upserted:
    contact = Contact.objects.select_for_update().filter(email=checked.email).first()
    if contact is None:
        contact = Contact(email=checked.email)
        apply_input(contact, checked)
        contact.save()
        record("contact.create", contact.email, None, _audited(contact, checked))
        return Upserted(contact, True)
    before = _audited(contact, checked)
    if apply_input(contact, checked):
        contact.save()
        record("contact.update", contact.email, before, _audited(contact, checked))
    return Upserted(contact, False)


def _audited(contact: Contact, checked: ContactInput) -> dict[str, Any]:
    """The fields an upsert may change, as they stand on ``contact``."""
    values: dict[str, Any] = {name: getattr(contact, name) for name in checked.fields}
    if checked.attributes:
        values["attributes"] = dict(contact.attributes)
    return values


def do_set_status(email: str, status: str, detail: str = "") -> Contact:
    """Mark a contact active, unsubscribed or bounced; takes effect before the next send.

    The suppression list follows (``actions.suppression.sync_with_status``).
    """
    if status not in ContactStatus.values:
        raise ActionError(
            "invalid status", {"status": f"use one of {', '.join(ContactStatus.values)}"}
        )
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(email=email.strip().lower()).first()
        if contact is None:
            raise ActionError("no such contact", {"email": f"{email!r} is not a contact"})
        before = {"status": contact.status}
        contact.status = status
        contact.save(update_fields=["status", "updated_at"])
        if before["status"] != status:
            record("contact.status", contact.email, before, {"status": status, "detail": detail})
        sync_with_status(contact.email, status, detail)
        if status != ContactStatus.ACTIVE:
            wait_after_commit([contact.id])  # acknowledged after its messages in flight
    return contact
