"""Recording what providers and bounce reports tell us about a message, once each.

Every report is stored raw beside its normalised form (``ProviderEvent``). The pair
(provider, event id) is unique, so a replayed webhook or a bounce received twice is recognised
and changes nothing. The effects (suppression, contact status, campaign pause) are in
``actions.bounces`` and run in the same transaction as the record.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from goteo.actions.bounces import Target, apply_outcome, outcome
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.channels.email.message_ids import delivery_of
from goteo.contacts.fields import normalize_email
from goteo.contacts.models import Contact, ProviderEvent
from goteo.contacts.suppression_keys import email_hash


def our_delivery_id(message_id: str) -> int | None:
    """The delivery a Message-ID of ours names, or None (not ours, or its mac is wrong)."""
    return delivery_of(message_id, settings.SECRET_KEY)


def stable_event_id(raw: Any) -> str:
    """An id for a report that carries none: the digest of its canonical JSON."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _normal(address: str) -> str:
    address = (address or "").strip().strip("<>")
    if not address:
        return ""
    try:
        return normalize_email(address)
    except ValueError:
        return address.lower()


def _from_delivery(delivery_id: int, recipient: str) -> Target | None:
    row = (
        Delivery.objects.filter(id=delivery_id)
        .values("id", "contact_id", "campaign_id", "to_address", "contact__email")
        .first()
    )
    if row is None:
        return None
    sent_to = _normal(row["to_address"] or row["contact__email"])
    address = recipient or sent_to
    same = address in (sent_to, _normal(row["contact__email"]))
    contact_id = row["contact_id"] if same else _contact_id(address)
    return Target(address, contact_id, row["id"], row["campaign_id"])


def _contact_id(address: str) -> int | None:
    if not address:
        return None
    return Contact.objects.filter(email=address).values_list("id", flat=True).first()


def find_target(
    message_id: str,
    recipient: str,
    *,
    delivery_id: int | None = None,
    contact_id: int | None = None,
) -> Target:
    """By a delivery id from a signed address, our Message-ID, a contact id, or the recipient.

    Without a delivery, an event about a contact is tied to the latest message sent to it.
    """
    address = _normal(recipient)
    if delivery_id is not None:
        # From a signed bounce address: the delivery's own address, whatever the report says.
        found = _from_delivery(delivery_id, "")
        if found is not None:
            return found
    ours = our_delivery_id(message_id)
    if ours is not None:
        found = _from_delivery(ours, address)
        if found is not None:
            return found
    if contact_id is not None:
        email = Contact.objects.filter(id=contact_id).values_list("email", flat=True).first()
        address = email or address
        contact_id = contact_id if email else None
    else:
        contact_id = _contact_id(address)
    if contact_id is None:
        return Target(address)
    latest = (
        Delivery.objects.filter(contact_id=contact_id, status=DeliveryStatus.SENT)
        .order_by("-sent_at", "-id")
        .values("id", "campaign_id")
        .first()
    )
    if latest is None:
        return Target(address, contact_id)
    return Target(address, contact_id, latest["id"], latest["campaign_id"])


def do_record_event(
    provider: str,
    event_id: str,
    event_type: str,
    recipient: str,
    message_id: str,
    description: str,
    raw: Any,
    occurred_at: datetime | None,
    *,
    severity: str = "",
    delivery_id: int | None = None,
    contact_id: int | None = None,
) -> bool:
    """Store one report and apply it; False (and nothing changes) when it was seen before.

    ``severity`` is ``hard``/``soft`` when the provider says which a bounce is; otherwise the
    SMTP code in ``description`` decides (see ``actions.bounces.outcome``). ``delivery_id`` and
    ``contact_id`` come from signed addresses only.
    """
    event_id = (event_id or stable_event_id(raw))[:200]
    if occurred_at is not None and occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=UTC)  # "-0000": a date in UTC, zone unknown
    target = find_target(message_id, recipient, delivery_id=delivery_id, contact_id=contact_id)
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProviderEvent.objects.create(
                    provider=provider[:32],
                    event_id=event_id,
                    event_type=(event_type or "unknown")[:32],
                    recipient_hash=email_hash(target.address) if target.address else "",
                    message_id=(message_id or "")[:255],
                    contact_id=target.contact_id,
                    delivery_id=target.delivery_id,
                    description=description or "",
                    raw=raw,
                    occurred_at=occurred_at,
                )
        except IntegrityError:
            return False  # a replay: recorded before, applied before
        what = outcome(event_type, severity, description)
        if what is not None:
            apply_outcome(what, target, f"{provider}: {description}".strip(": "))
    return True
