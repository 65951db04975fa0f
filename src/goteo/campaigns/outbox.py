"""The one writer of the outbox: every kind of delivery, for every channel, is enqueued here.

The scheduler writes a row per due step in batches of hundreds, inside its transaction (one
multi-row statement per chunk); the actions write transactional messages, hand-off
notifications and CRM webhooks. Every row starts pending and due; the worker routes it on its
``channel`` and sends it through the same gate and recording path (docs/channels.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from goteo.bulk_sql import insert_rows
from goteo.campaigns.delivery_kinds import MARKETING
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
    """One message to send: from a campaign step (with its enrollment), or outside any
    campaign (a transactional message, a hand-off), when both ids are None."""

    contact_id: int
    step_id: str
    channel: str
    template: str
    locale: str
    kind: str = MARKETING
    context: Mapping[str, Any] = field(default_factory=dict)
    enrollment_id: int | None = None
    campaign_id: int | None = None


def _values(rows: Sequence[NewDelivery], now: datetime) -> list[tuple[Any, ...]]:
    moment = db_moment(now, connection.vendor == "sqlite")
    empty = connection.ops.adapt_json_value([], DjangoJSONEncoder)
    pending = DeliveryStatus.PENDING.value
    return [
        (
            *(r.contact_id, r.enrollment_id, r.campaign_id, r.kind),
            connection.ops.adapt_json_value(dict(r.context), DjangoJSONEncoder),
            *(r.step_id, r.channel, r.template, r.locale, pending, 0, moment, "", 0.0),
            *("", "", "", "", moment, empty, 0, 0),
        )
        for r in rows
    ]


def enqueue(rows: Sequence[NewDelivery], now: datetime) -> None:
    """Write the rows, pending and due at ``now``; one that repeats an (enrollment, step)
    already written is skipped, so a step's message is written at most once (the outbox's
    last guard)."""
    insert_rows(Delivery._meta.db_table, _COLUMNS, _values(rows, now), "ON CONFLICT DO NOTHING")


def enqueue_one(row: NewDelivery, now: datetime) -> int:
    """Write one row outside any campaign and return its id."""
    columns = ", ".join(_COLUMNS)
    marks = ", ".join(["%s"] * len(_COLUMNS))
    sql = f"INSERT INTO {Delivery._meta.db_table} ({columns}) VALUES ({marks}) RETURNING id"
    with connection.cursor() as cursor:
        cursor.execute(sql, list(_values([row], now)[0]))
        found = cursor.fetchone()
    assert found is not None
    return int(found[0])
