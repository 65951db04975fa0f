"""Twilio's status callbacks: a sent SMS was delivered, failed or went undelivered.

The callback URL names our delivery (``?d=<id>``, covered by Twilio's signature), and the body
names Twilio's message SID: the first callback stores the SID on the delivery, later ones find
it by the SID. Each callback is kept raw as a ``ProviderEvent``; a replay changes nothing.
Failed and undelivered end the delivery ``failed``, with Twilio's error code.

An SMS is an exposure when it is delivered, not when it is handed to Twilio: the ``delivered``
callback records it in the ledger, dated when the callback came (docs/measurement.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import IntegrityError, transaction

from goteo.campaigns.exposures import record_reported
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.contacts.models import ProviderEvent
from goteo.engine.exposure_words import DELIVERED

FINAL = frozenset(("delivered", "failed", "undelivered"))
PROVIDER = "twilio"


def _find(sid: str, delivery_id: int | None) -> Delivery | None:
    rows = Delivery.objects.select_for_update().filter(channel="sms")
    found = rows.filter(provider_message_id=sid).first()
    if found is None and delivery_id is not None:
        found = rows.filter(id=delivery_id, provider_message_id__in=("", sid)).first()
    return found


def do_sms_status(
    raw: Mapping[str, str], delivery_id: int | None, now: datetime
) -> Delivery | None:
    """Record one status callback; the delivery it marked, or None (unknown, not final, or a
    replay)."""
    sid, status = raw.get("MessageSid", ""), raw.get("MessageStatus", "")
    if not sid or status not in FINAL:
        return None
    with transaction.atomic():
        delivery = _find(sid, delivery_id)
        try:
            with transaction.atomic():
                ProviderEvent.objects.create(
                    provider=PROVIDER,
                    event_id=f"{sid}:{status}",
                    event_type=status,
                    message_id=sid,
                    contact_id=delivery.contact_id if delivery else None,
                    delivery_id=delivery.id if delivery else None,
                    description=raw.get("ErrorCode", ""),
                    raw=dict(raw),
                    occurred_at=now,
                )
        except IntegrityError:
            return None  # a replayed callback
        if delivery is None:
            return None
        delivery.provider_message_id = sid
        delivery.receipt, delivery.receipt_at = status, now
        changed = ["provider_message_id", "receipt", "receipt_at"]
        if status != DELIVERED:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = f"twilio {status}: error {raw.get('ErrorCode') or 'unknown'}"
            changed += ["status", "last_error"]
        delivery.save(update_fields=changed)
        if status == DELIVERED:
            record_reported(delivery.id, now, DELIVERED)
    return delivery
