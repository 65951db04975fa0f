"""Send claimed deliveries and record each result at once (after the engine's commit).

Each row is routed on its ``channel`` to that channel's provider, which prepares it here (in
the worker's main thread); the sender thread then passes it through the gate, delivers it and
records the result. Retry timing, attempt limits and the recording are the same for every
channel (docs/channels.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from goteo.accounts.actor import acting_as
from goteo.actions.campaigns import do_set_campaign_status
from goteo.campaigns.delivery_kinds import TEST
from goteo.campaigns.exposures import Touch, sent_touch
from goteo.campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from goteo.campaigns.test_messages import test_campaign, test_sample
from goteo.campaigns.versions import campaign_for_version
from goteo.channels.base import (
    Delivered,
    Draft,
    Permanent,
    Prepared,
    PrepareError,
    Result,
    Retryable,
    Skip,
    Throttled,
)
from goteo.channels.registry import Channels, missing
from goteo.content.system import system_campaign
from goteo.engine.channel_needs import DELIVERY_RECEIPTS
from goteo.worker.backoff import MAX_ATTEMPTS, retry_delay, throttle_pause
from goteo.worker.claims import finish_delivery
from goteo.worker.gate import Hold, PauseCampaign, Postpone, Send, Suppress, Verdict
from goteo.worker.sender_thread import Job, SenderThread

log = logging.getLogger(__name__)

ROW_FIELDS = (
    "id", "campaign_id", "kind", "context", "attempts", "template", "locale", "channel", "step_id",
    "enrollment__version_id", "enrollment__version__checksum", "contact_id", "contact__email",
    "contact__first_name", "contact__last_name", "contact__locale", "contact__timezone",
    "contact__attributes", "contact__phone", "contact__postal_address",
)  # fmt: skip


@dataclass
class Tally:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    postponed: int = 0


def _contact(row: dict[str, Any]) -> dict[str, Any]:
    fields = {k.removeprefix("contact__"): v for k, v in row.items() if k.startswith("contact__")}
    return fields | {"id": row["contact_id"]}


def send_claimed(
    ids: list[int], owner: str, now: datetime, sender: SenderThread, channels: Channels
) -> Tally:
    """Prepare each claimed delivery here; the sender thread checks, sends and records it."""
    tally = Tally()
    rows = Delivery.objects.filter(id__in=ids, lease_owner=owner).order_by("id").values(*ROW_FIELDS)
    for row in rows:
        if row["attempts"] > MAX_ATTEMPTS:  # claimed again and again: its worker keeps dying
            reason = f"gave up after {MAX_ATTEMPTS} attempts that never finished"
            sender.call(_failure(row, owner, reason))
            tally.failed += 1
            continue
        channel = channels.get(row["channel"])
        if channel is None:  # not configured on this worker: retried, in case another is
            recorder = _Recorder(row, owner, now, tally)
            reason = f"{row['channel']}: {missing(row['channel'])} on this worker"
            sender.call(partial(recorder, Retryable(row["id"], reason)))
            continue
        try:
            message = channel.prepare(_draft(row))
        except Skip as exc:  # not reachable on this channel: suppressed, with the reason
            sender.call(_failure(row, owner, str(exc), DeliveryStatus.SUPPRESSED))
            tally.suppressed += 1
            continue
        except PrepareError as exc:
            sender.call(_failure(row, owner, str(exc)))
            tally.failed += 1
            continue
        recorder = _Recorder(row, owner, now, tally, message, channel.capabilities)
        job = Job(
            row["contact_id"], row["campaign_id"], row["kind"], now, channel, message, recorder,
            row["id"], owner,
        )  # fmt: skip
        sender.submit(job)
    sender.drain()
    return tally


def _draft(row: dict[str, Any]) -> Draft:
    # Campaign messages (marketing, notify and webhook steps) use the campaign's templates; a
    # test send carries the variant it tests, and maybe a made-up sample contact.
    version, context = row["enrollment__version_id"], row["context"] or {}
    contact = _contact(row)
    if row["kind"] == TEST:
        campaign = test_campaign(context, row["template"], row["locale"])
        contact = dict(test_sample(context) or contact)
    elif version is not None:
        campaign = campaign_for_version(version, row["enrollment__version__checksum"])
    else:
        campaign = system_campaign(row["template"], row["locale"], context)
    return Draft(
        row["id"], row["kind"], campaign, row["template"], row["locale"], contact, context,
        row["attempts"],
    )  # fmt: skip


def _failure(
    row: dict[str, Any], owner: str, reason: str, status: str = DeliveryStatus.FAILED
) -> Callable[[], None]:
    """Recording a delivery that cannot be sent, done by the sender thread in its turn."""
    delivery_id, contact_id = row["id"], row["contact_id"]

    def write() -> None:
        finish_delivery(delivery_id, contact_id, owner, status=status, last_error=reason)
        log.warning("delivery %s %s: %s", delivery_id, status, reason)

    return write


@dataclass
class _Recorder:
    row: dict[str, Any]
    owner: str
    now: datetime
    tally: Tally
    message: Prepared | None = None  # None: the row could not reach its channel
    capabilities: frozenset[str] = frozenset()

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
        if isinstance(result, PauseCampaign):
            # Over its postage budget: held like a pause's message, and the campaign paused.
            self._finish(attempts=self.row["attempts"] - 1, last_error=f"held: {result.reason}")
            _pause(self.row["campaign_id"], result.reason)
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
        common: dict[str, object] = {}
        if self.message is not None:
            common = {
                "subject": self.message.subject[:998],
                "message_id": self.message.message_id,
                "to_address": self.message.to_address[:320],
                "links": list(self.message.links),  # the tracked links (clicks read them)
                "segments": self.message.segments,
            }
        if isinstance(result, Delivered):
            if DELIVERY_RECEIPTS in self.capabilities:  # receipts find the row by this id
                common["provider_message_id"] = (result.provider_id or result.detail)[:64]
            if result.reference:  # what the provider calls the message (a post's address)
                common["message_id"] = result.reference[:255]
            if result.expected_in_home is not None:
                common["expected_in_home"] = result.expected_in_home
            receipts = DELIVERY_RECEIPTS in self.capabilities
            touch = sent_touch(
                self.row, self.now, in_home=result.expected_in_home, receipts=receipts
            )
            # The sent mark and its exposure: one statement on PostgreSQL.
            self._finish(
                touch, status=DeliveryStatus.SENT, sent_at=self.now, last_error="", **common
            )
            self.tally.sent += 1
        elif isinstance(result, Throttled):
            # The provider asked us to slow down: tried again after its wait, and this
            # attempt does not count (the worker slows the channel: ``admission.py``).
            self._finish(
                attempts=self.row["attempts"] - 1,
                next_attempt_at=self.now + throttle_pause(result.retry_after),
                last_error=f"postponed: throttled by the provider: {result.reason}"[:2000],
                **common,
            )
            self.tally.postponed += 1
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
            log.warning("delivery %s (%s) failed: %s", self.row["id"], self.row["channel"], reason)

    def _finish(self, touch: Touch | None = None, /, **fields: object) -> bool:
        return finish_delivery(self.row["id"], self.row["contact_id"], self.owner, touch, **fields)


def _pause(campaign_id: int, reason: str) -> None:
    """Pause the campaign with the reason, through its action (and so the audit log), in the
    sender's transaction: the held mailer and the pause commit together."""
    key = Campaign.objects.values_list("key", flat=True).get(id=campaign_id)
    with acting_as("worker"):
        do_set_campaign_status(key, CampaignStatus.PAUSED, reason=reason)
    log.warning("campaign %s paused: %s", key, reason)
