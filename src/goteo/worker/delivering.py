"""Send claimed deliveries and record each result at once (after the engine's commit)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from goteo.campaigns.delivery_kinds import MARKETING
from goteo.campaigns.exposures import record_delivery
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.campaigns.versions import campaign_for_version
from goteo.channels.base import Delivered, Permanent, Result, Retryable
from goteo.content.render import RenderError
from goteo.content.system import system_campaign
from goteo.worker.backoff import MAX_ATTEMPTS, retry_delay
from goteo.worker.claims import finish_delivery
from goteo.worker.composer import Composer
from goteo.worker.gate import Hold, Postpone, Send, Suppress, Verdict
from goteo.worker.sender_thread import Job, SenderThread
from goteo.worker.staff import NOTIFICATION, WEBHOOK, NoRecipient, addressed_to_staff, send_webhook

log = logging.getLogger(__name__)

ROW_FIELDS = (
    "id", "campaign_id", "kind", "context", "attempts", "template", "locale", "channel", "step_id",
    "enrollment__version_id", "enrollment__version__checksum", "contact_id", "contact__email",
    "contact__first_name", "contact__last_name", "contact__locale", "contact__timezone",
    "contact__attributes",
)  # fmt: skip


@dataclass
class Tally:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    postponed: int = 0

    def count(self, outcome: str) -> None:
        """Add one ``sent``, ``retried`` or ``failed``."""
        setattr(self, outcome, getattr(self, outcome) + 1)


def _contact(row: dict[str, Any]) -> dict[str, Any]:
    fields = {k.removeprefix("contact__"): v for k, v in row.items() if k.startswith("contact__")}
    return fields | {"id": row["contact_id"]}


def send_claimed(
    ids: list[int], owner: str, now: datetime, sender: SenderThread, composer: Composer
) -> Tally:
    """Compose each claimed delivery here; the sender thread checks, sends and records it."""
    tally = Tally()
    rows = Delivery.objects.filter(id__in=ids, lease_owner=owner).order_by("id").values(*ROW_FIELDS)
    for row in rows:
        if row["attempts"] > MAX_ATTEMPTS:  # claimed again and again: its worker keeps dying
            reason = f"gave up after {MAX_ATTEMPTS} attempts that never finished"
            sender.call(_failure(row["id"], owner, reason))
            tally.failed += 1
            continue
        if row["kind"] == WEBHOOK:
            tally.count(send_webhook(row, owner, now, sender))
            continue
        marketing = row["kind"] == MARKETING
        # Campaign messages (marketing, and notify steps) use the campaign's templates.
        campaign = (
            campaign_for_version(
                row["enrollment__version_id"], row["enrollment__version__checksum"]
            )
            if row["enrollment__version_id"] is not None
            else system_campaign(row["template"], row["locale"], row["context"] or {})
        )
        try:
            message = composer.compose(
                row["id"], campaign, row["template"], row["locale"], _contact(row),
                extra=row["context"], marketing=marketing,
            )  # fmt: skip
            if row["kind"] == NOTIFICATION:
                message = addressed_to_staff(message, row["context"])
        except (RenderError, NoRecipient) as exc:
            sender.call(_failure(row["id"], owner, str(exc)))
            tally.failed += 1
            continue
        recorder = _Recorder(
            row, owner, now, message.subject, message.message_id, tally, message.links,
            message.to_addr,
        )  # fmt: skip
        job = Job(
            row["contact_id"], row["campaign_id"], row["kind"], now, message, recorder, row["id"]
        )
        sender.submit(job)
    sender.drain()
    return tally


def _failure(delivery_id: int, owner: str, reason: str) -> Callable[[], None]:
    """Recording a delivery that cannot be sent, done by the sender thread in its turn."""

    def write() -> None:
        finish_delivery(delivery_id, owner, status=DeliveryStatus.FAILED, last_error=reason)
        log.warning("delivery %s failed: %s", delivery_id, reason)

    return write


@dataclass
class _Recorder:
    row: dict[str, Any]
    owner: str
    now: datetime
    subject: str
    message_id: str
    tally: Tally
    links: tuple[str, ...] = ()  # the tracked links' URLs (click tracking reads them back)
    to_address: str = ""  # who it went to, when not the contact (a notification)

    def __call__(self, result: Result | Verdict) -> None:
        if isinstance(result, Suppress):
            # Unsubscribed, bounced or suppressed since it was claimed: it is never sent.
            self._finish(status=DeliveryStatus.SUPPRESSED, last_error=result.reason)
            self.tally.suppressed += 1
            return
        if isinstance(result, Hold):
            # The campaign was paused meanwhile: give the message back, unsent and pending,
            # and this claim does not count as an attempt.
            self._finish(attempts=self.row["attempts"] - 1)
            return
        if isinstance(result, Postpone):
            self._finish(
                attempts=self.row["attempts"] - 1,
                next_attempt_at=result.until,
                last_error=f"postponed: {result.reason}",
            )
            self.tally.postponed += 1
            return
        assert not isinstance(result, Send)
        common = {
            "subject": self.subject[:998],
            "message_id": self.message_id,
            "to_address": self.to_address or self.row["contact__email"],
            "links": list(self.links),
        }
        if isinstance(result, Delivered):
            if self._finish(status=DeliveryStatus.SENT, sent_at=self.now, last_error="", **common):
                record_delivery(self.row, self.now)  # the exposure, in the same transaction
            self.tally.sent += 1
        elif isinstance(result, Retryable) and self.row["attempts"] < MAX_ATTEMPTS:
            delay = retry_delay(self.row["attempts"])
            self._finish(
                next_attempt_at=self.now + delay, last_error=result.reason[:2000], **common
            )
            self.tally.retried += 1
        else:
            assert isinstance(result, Retryable | Permanent)
            reason = result.reason
            if isinstance(result, Retryable):
                reason = f"gave up after {self.row['attempts']} attempts: {reason}"
            self._finish(status=DeliveryStatus.FAILED, last_error=reason[:2000], **common)
            self.tally.failed += 1
            log.warning("delivery %s failed: %s", self.row["id"], reason)

    def _finish(self, **fields: object) -> bool:
        return finish_delivery(self.row["id"], self.owner, **fields)
