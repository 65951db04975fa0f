"""Messages to our side rather than to the contact: notifications and webhook calls.

A notification (a campaign's ``notify`` step, a lead hand-off) is an email to a salesperson
about a contact: it goes to ``context["to"]``, carries no unsubscribe headers and is sent
whatever the contact's own status. A webhook row is POSTed as JSON (``channels/webhook.py``)
with the contact's current fields added at send time.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.conf import settings

from goteo.campaigns.delivery_kinds import NOTIFICATION, WEBHOOK
from goteo.campaigns.models import DeliveryStatus
from goteo.channels.base import Delivered, OutgoingEmail, Retryable
from goteo.channels.webhook import post_json
from goteo.worker.backoff import MAX_ATTEMPTS, retry_delay
from goteo.worker.claims import finish_delivery
from goteo.worker.sender_thread import SenderThread

log = logging.getLogger(__name__)

__all__ = ["NOTIFICATION", "WEBHOOK", "NoRecipient", "addressed_to_staff", "send_webhook"]


class NoRecipient(ValueError):
    """A notification for the contact's owner, and the contact has none."""


def addressed_to_staff(message: OutgoingEmail, context: dict[str, Any]) -> OutgoingEmail:
    to = str(context.get("to") or "") or settings.GOTEO_SALES_ADDRESS
    if not to:
        raise NoRecipient(
            "notification to the contact's owner, but the contact has no owner "
            "and GOTEO_SALES_ADDRESS is not set"
        )
    return replace(message, to_addr=to, to_name="", headers={})


def send_webhook(row: dict[str, Any], owner: str, now: datetime, sender: SenderThread) -> str:
    """POST now and record the result in the sender thread's turn; ``sent``, ``retried`` or
    ``failed``."""
    context = row["context"] or {}
    payload = {**(context.get("payload") or {}), "contact": _contact(row)}
    result = post_json(
        str(context.get("url", "")),
        payload,
        secret=settings.GOTEO_WEBHOOK_SIGNING_SECRET or settings.SECRET_KEY,
        delivery_id=row["id"],
    )
    fields: dict[str, object]
    if isinstance(result, Delivered):
        fields, outcome = {"status": DeliveryStatus.SENT, "sent_at": now, "last_error": ""}, "sent"
    elif isinstance(result, Retryable) and row["attempts"] < MAX_ATTEMPTS:
        delay = retry_delay(row["attempts"])
        fields = {"next_attempt_at": now + delay, "last_error": result.reason[:2000]}
        outcome = "retried"
    else:
        fields = {"status": DeliveryStatus.FAILED, "last_error": result.reason[:2000]}
        outcome = "failed"
        log.warning("delivery %s (webhook) failed: %s", row["id"], result.reason)
    fields["to_address"] = str(context.get("url", ""))[:320]
    sender.call(lambda: _record(row["id"], owner, fields))
    return outcome


def _record(delivery_id: int, owner: str, fields: dict[str, object]) -> None:
    finish_delivery(delivery_id, owner, **fields)


def _contact(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["contact_id"],
        "email": row["contact__email"],
        "first_name": row["contact__first_name"],
        "last_name": row["contact__last_name"],
        "locale": row["contact__locale"],
        "timezone": row["contact__timezone"],
        "attributes": row["contact__attributes"],
    }
