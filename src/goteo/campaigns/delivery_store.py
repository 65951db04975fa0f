"""The hot insert of the outbox: the scheduler writes a message row per due send step, in
batches of hundreds, inside its transaction; one multi-row statement per chunk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from goteo.bulk_sql import insert_rows
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.contacts.event_store import db_moment

_COLUMNS = (
    "contact_id",
    "enrollment_id",
    "campaign_id",
    "kind",
    "context",
    "step_id",
    "channel",
    "template",
    "locale",
    "status",
    "attempts",
    "next_attempt_at",
    "lease_owner",
    "lease_until",
    "to_address",
    "subject",
    "message_id",
    "last_error",
    "created_at",
    "links",
    "opens",
    "clicks",
)


@dataclass(frozen=True)
class NewDelivery:
    """One message a step produced: pending, due at once."""

    contact_id: int
    enrollment_id: int
    campaign_id: int
    step_id: str
    channel: str
    template: str
    locale: str
    kind: str = "marketing"
    context: Mapping[str, Any] = field(default_factory=dict)


def insert_deliveries(rows: Sequence[NewDelivery], now: datetime) -> None:
    """Write the rows; one that repeats an (enrollment, step) already written is skipped, so
    a step's message is written at most once (the outbox's last guard)."""
    sqlite = connection.vendor == "sqlite"
    moment = db_moment(now, sqlite)
    empty = connection.ops.adapt_json_value([], DjangoJSONEncoder)
    pending = DeliveryStatus.PENDING.value
    values = [
        (
            *(r.contact_id, r.enrollment_id, r.campaign_id, r.kind),
            connection.ops.adapt_json_value(dict(r.context), DjangoJSONEncoder),
            *(r.step_id, r.channel, r.template, r.locale, pending, 0, moment, "", 0.0),
            *("", "", "", "", moment, empty, 0, 0),
        )
        for r in rows
    ]
    insert_rows(Delivery._meta.db_table, _COLUMNS, values, "ON CONFLICT DO NOTHING")
