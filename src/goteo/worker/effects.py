"""Carry out an enrollment's commands inside the scheduler's transaction.

Messages (email, notifications, webhooks) become outbox rows, sent after commit; the unique
(enrollment, step) constraint of the outbox means a step's message is written at most once.
Contact updates and score changes are written here, in the same transaction as the step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from goteo.actions.coupons import coupon_context, issue_coupon
from goteo.actions.scoring import add_points
from goteo.campaigns.delivery_kinds import NOTIFICATION, WEBHOOK
from goteo.campaigns.outbox import NewDelivery
from goteo.contacts.models import Contact
from goteo.engine.commands import (
    AddScore,
    CallWebhook,
    Command,
    Notify,
    Send,
    Update,
    updated_fields,
)
from goteo.engine.model import Campaign


@dataclass
class Journey:
    """The enrollment the commands came from."""

    enrollment_id: int
    contact_id: int
    campaign_id: int
    campaign: Campaign
    event: Mapping[str, Any] | None  # the trigger event, shown to templates as ``event``
    owner: str


@dataclass
class Effects:
    deliveries: list[NewDelivery] = field(default_factory=list)

    def run(self, journey: Journey, commands: list[Command], now: datetime) -> None:
        for command in commands:
            if isinstance(command, Send):
                self._send(journey, command, now)
            elif isinstance(command, Update):
                _update_contact(journey.contact_id, command)
            elif isinstance(command, AddScore):
                reason = f"campaign {journey.campaign.key}, step {command.step_id}"
                add_points(journey.contact_id, command.points, reason, now)
            elif isinstance(command, Notify):
                self._notify(journey, command, now)
            elif isinstance(command, CallWebhook):
                self._webhook(journey, command, now)

    def _row(self, journey: Journey, now: datetime, **fields: Any) -> None:
        self.deliveries.append(
            NewDelivery(
                contact_id=journey.contact_id,
                enrollment_id=journey.enrollment_id,
                campaign_id=journey.campaign_id,
                **fields,
            )
        )

    def _send(self, journey: Journey, command: Send, now: datetime) -> None:
        context: dict[str, Any] = {}
        if journey.event is not None:
            context["event"] = dict(journey.event)
        if command.coupon is not None:
            coupon = issue_coupon(
                command.coupon,
                contact_id=journey.contact_id,
                campaign_id=journey.campaign_id,
                enrollment_id=journey.enrollment_id,
                step_id=command.step_id,
                now=now,
            )
            context["coupon"] = coupon_context(coupon)
        self._row(
            journey,
            now,
            step_id=command.step_id,
            channel=command.channel,
            template=command.template,
            locale=command.locale,
            context=context,
        )

    def _notify(self, journey: Journey, command: Notify, now: datetime) -> None:
        """``to: owner`` is resolved now; with no owner the row fails visibly when sent."""
        to = journey.owner if command.to == "owner" else command.to
        context: dict[str, Any] = {"to": to, "to_rule": command.to}
        if journey.event is not None:
            context["event"] = dict(journey.event)
        self._row(
            journey,
            now,
            kind=NOTIFICATION,
            step_id=command.step_id,
            channel="email",
            template=command.template,
            locale=command.locale,
            context=context,
        )

    def _webhook(self, journey: Journey, command: CallWebhook, now: datetime) -> None:
        payload = {
            "type": "campaign.step",
            "campaign": journey.campaign.key,
            "step": command.step_id,
            "enrollment": journey.enrollment_id,
            "contact_id": journey.contact_id,
            "event": dict(journey.event) if journey.event is not None else None,
            "at": now.isoformat(),
        }
        self._row(
            journey,
            now,
            kind=WEBHOOK,
            step_id=command.step_id,
            channel="webhook",
            template="",
            locale="",
            context={"url": command.url, "payload": payload},
        )


def _update_contact(contact_id: int, command: Update) -> None:
    contact = Contact.objects.select_for_update().filter(id=contact_id).first()
    if contact is None:
        return
    fields = updated_fields({"attributes": contact.attributes, "tags": contact.tags}, command)
    if fields["attributes"] != contact.attributes or fields["tags"] != contact.tags:
        contact.attributes, contact.tags = fields["attributes"], fields["tags"]
        contact.save(update_fields=["attributes", "tags", "updated_at"])
