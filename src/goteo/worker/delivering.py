"""Send claimed deliveries one by one and record each result at once (after commit)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.campaigns.versions import campaign_for_version
from goteo.channels.base import Delivered, EmailChannel, Permanent, Result, Retryable
from goteo.contacts.models import Contact, ContactStatus
from goteo.content.render import RenderError
from goteo.worker.backoff import MAX_ATTEMPTS, retry_delay
from goteo.worker.claims import finish_delivery
from goteo.worker.composer import Composer

log = logging.getLogger(__name__)

ROW_FIELDS = (
    "id",
    "attempts",
    "template",
    "locale",
    "channel",
    "enrollment__version_id",
    "enrollment__version__checksum",
    "contact_id",
    "contact__email",
    "contact__first_name",
    "contact__last_name",
    "contact__locale",
    "contact__timezone",
    "contact__attributes",
)


@dataclass
class Tally:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0


def _contact(row: dict) -> dict:
    return {k.removeprefix("contact__"): v for k, v in row.items() if k.startswith("contact__")} | {
        "id": row["contact_id"]
    }


def send_claimed(
    ids: list[int], owner: str, now: datetime, channel: EmailChannel, composer: Composer
) -> Tally:
    tally = Tally()
    rows = Delivery.objects.filter(id__in=ids, lease_owner=owner).order_by("id").values(*ROW_FIELDS)
    for row in rows:
        if row["attempts"] > MAX_ATTEMPTS:  # claimed again and again: its worker keeps dying
            reason = f"gave up after {MAX_ATTEMPTS} attempts that never finished"
            finish_delivery(row["id"], owner, status=DeliveryStatus.FAILED, last_error=reason)
            tally.failed += 1
            continue
        # Read the contact's status right before sending: an unsubscribe or bounce recorded
        # a moment ago wins over a message claimed earlier.
        status = (
            Contact.objects.filter(id=row["contact_id"]).values_list("status", flat=True).first()
        )
        if status != ContactStatus.ACTIVE:
            finish_delivery(
                row["id"], owner, status=DeliveryStatus.SUPPRESSED, last_error=f"contact {status}"
            )
            tally.suppressed += 1
            continue
        campaign = campaign_for_version(
            row["enrollment__version_id"], row["enrollment__version__checksum"]
        )
        try:
            message = composer.compose(
                row["id"], campaign, row["template"], row["locale"], _contact(row)
            )
        except RenderError as exc:
            finish_delivery(row["id"], owner, status=DeliveryStatus.FAILED, last_error=str(exc))
            tally.failed += 1
            continue
        result = channel.send(message)
        _record(
            row, owner, now, result, message.subject, message.message_id, message.to_addr, tally
        )
    return tally


def _record(
    row: dict,
    owner: str,
    now: datetime,
    result: Result,
    subject: str,
    mid: str,
    to: str,
    tally: Tally,
) -> None:
    common = {"subject": subject[:998], "message_id": mid, "to_address": to}
    if isinstance(result, Delivered):
        finish_delivery(
            row["id"], owner, status=DeliveryStatus.SENT, sent_at=now, last_error="", **common
        )
        tally.sent += 1
    elif isinstance(result, Retryable) and row["attempts"] < MAX_ATTEMPTS:
        finish_delivery(
            row["id"],
            owner,
            next_attempt_at=now + retry_delay(row["attempts"]),
            last_error=result.reason[:2000],
            **common,
        )
        tally.retried += 1
    else:
        reason = result.reason if isinstance(result, Retryable | Permanent) else "unknown"
        if isinstance(result, Retryable):
            reason = f"gave up after {row['attempts']} attempts: {reason}"
        finish_delivery(
            row["id"], owner, status=DeliveryStatus.FAILED, last_error=reason[:2000], **common
        )
        tally.failed += 1
        log.warning("delivery %s failed: %s", row["id"], reason)
