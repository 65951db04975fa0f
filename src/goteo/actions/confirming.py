"""Double opt-in: confirming a subscription, and turning fresh consent into a subscription."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from goteo.actions.subscriptions import do_subscribe
from goteo.actions.suppression import do_unsuppress, suppression_reason
from goteo.contacts.models import Consent, Contact, ContactStatus, SuppressionReason
from goteo.contacts.suppression_keys import HARD_REASONS
from goteo.contacts.tokens import read_confirm_token

# Suppressions a confirmed subscription lifts: the person's own earlier choice, or their
# erasure; bounces, complaints and an operator's block stay.
LIFTED_BY_CONSENT = (SuppressionReason.UNSUBSCRIBED, SuppressionReason.ERASED)
BLOCKED_STATUSES = (ContactStatus.BOUNCED, ContactStatus.COMPLAINED)


def activate_with_consent(
    contact: Contact, topics: Sequence[str], now: datetime, *, confirmed: bool
) -> bool:
    """Make the contact active and subscribe it to ``topics``, firing their campaigns.

    Refused (False) for an address that bounced, complained or was blocked by an operator;
    and, unless the address owner ``confirmed`` (double opt-in), for one that unsubscribed or
    was erased: a single opt-in form cannot sign someone else up again. Called inside the
    caller's transaction.
    """
    reason = suppression_reason(contact.email)
    if contact.status in BLOCKED_STATUSES or reason in HARD_REASONS:
        return False
    if not confirmed and (reason is not None or contact.status == ContactStatus.UNSUBSCRIBED):
        return False
    if reason is not None:
        do_unsuppress(contact.email, reasons=LIFTED_BY_CONSENT)
    if contact.status != ContactStatus.ACTIVE:
        contact.status = ContactStatus.ACTIVE
        contact.save(update_fields=["status", "updated_at"])
    for topic in dict.fromkeys(topics):
        do_subscribe([contact.id], topic, now)
    return True


@dataclass(frozen=True)
class Confirmed:
    # "confirmed", "already" (confirmed before: nothing changes), "invalid", "expired",
    # "blocked" (the address bounced, complained or is blocked); check_confirm: "valid"
    status: str
    consent: Consent | None = None


def check_confirm(token: str) -> Confirmed:
    """What confirming this token would do, without changing anything (the GET page)."""
    read = read_confirm_token(token)
    consent = (
        Consent.objects.select_related("contact", "form").filter(id=read.consent_id).first()
        if read.consent_id is not None
        else None
    )
    if consent is None:
        return Confirmed("invalid")
    if consent.confirmed_at is not None:
        return Confirmed("already", consent)
    return Confirmed("expired" if read.expired else "valid", consent)


def do_confirm(token: str, now: datetime) -> Confirmed:
    """Confirm the subscription a confirmation link names; confirming twice is harmless.

    The contact becomes active (a confirmed new subscription is fresh consent, even after an
    unsubscribe) and is subscribed to the topics chosen and to the form itself, so the
    campaigns they trigger start at the worker's next pass.
    """
    read = read_confirm_token(token)
    if read.consent_id is None:
        return Confirmed("invalid")
    with transaction.atomic():
        consent = (
            Consent.objects.select_for_update(of=("self",))
            .select_related("contact", "form")
            .filter(id=read.consent_id)
            .first()
        )
        if consent is None:
            return Confirmed("invalid")
        if consent.confirmed_at is not None:
            return Confirmed("already", consent)
        if read.expired:
            return Confirmed("expired", consent)
        topics = [*consent.topics, *([consent.form.key] if consent.form else [])]
        if not activate_with_consent(consent.contact, topics, now, confirmed=True):
            return Confirmed("blocked", consent)
        consent.confirmed_at = now
        consent.save(update_fields=["confirmed_at"])
    return Confirmed("confirmed", consent)
