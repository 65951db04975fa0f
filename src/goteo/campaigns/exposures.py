"""The exposure ledger's one writer: every touch recorded once, engagement on its exposure.

Every channel records through ``record_touches`` (plain SQL, many rows per statement, ``ON
CONFLICT`` on the unique (contact, dedupe key)), so a retried or replayed recording never
counts twice. A mailer first recorded as expected in home becomes ``delivered`` (with the real
date) when its provider reports the delivery, and is withdrawn when it reports the mailer
failed or returned; nothing else is ever changed by a second recording. Opens and clicks
update the email's own exposure (``record_engagement``).

``GOTEO_EXPOSURE_LEDGER=off`` turns the recording off; it exists to measure its cost.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, F, PositiveIntegerField, Value, When
from django.db.models.functions import Coalesce

from goteo.bulk_sql import insert_rows
from goteo.campaigns.delivery_kinds import MARKETING
from goteo.campaigns.models import AudienceExposure, Delivery, Exposure
from goteo.contacts.event_store import db_moment
from goteo.engine.exposure_words import (
    AT_RECEIPT,
    DELIVERED,
    DELIVERY_KINDS,
    IN_HOME,
    KINDS,
    QR_VISIT,
)

COLUMNS = (
    "contact_id", "channel", "kind", "campaign_id", "version_id", "step_id", "delivery_id",
    "dedupe_key", "occurred_at", "opens", "clicks",
)  # fmt: skip


@dataclass(frozen=True)
class Touch:
    """One exposure to record. ``dedupe_key`` names the touch among the contact's."""

    contact_id: int
    channel: str
    kind: str
    occurred_at: datetime
    dedupe_key: str
    campaign_id: int | None = None
    version_id: int | None = None
    step_id: str = ""
    delivery_id: int | None = None


def ledger_on() -> bool:
    return bool(getattr(settings, "GOTEO_EXPOSURE_LEDGER", True))


def delivery_key(delivery_id: int) -> str:
    return f"d:{delivery_id}"


def touch_of_delivery(
    row: Mapping[str, Any], when: datetime, kind: str | None = None
) -> Touch | None:
    """The exposure of one delivered outbox row, whatever its channel; None for a row that is
    no exposure (a confirmation, a staff notification, a webhook).

    ``row`` holds the delivery's ``id``, ``contact_id``, ``campaign_id``, ``step_id``,
    ``channel``, ``kind`` and ``enrollment__version_id`` (as the worker reads them). ``kind``
    defaults to what the channel's delivery means (``sent`` for email, ``in_home`` for mail,
    ``delivered`` for SMS); ``when`` is when it happened (a mailer's expected in-home date).
    """
    if row["kind"] != MARKETING:
        return None
    channel = row["channel"]
    exposure = kind or DELIVERY_KINDS.get(channel)
    if exposure is None:
        return None
    return Touch(
        contact_id=row["contact_id"],
        channel=channel,
        kind=exposure,
        occurred_at=when,
        dedupe_key=delivery_key(row["id"]),
        campaign_id=row["campaign_id"],
        version_id=row.get("enrollment__version_id"),
        step_id=row.get("step_id") or "",
        delivery_id=row["id"],
    )


def sent_touch(
    row: Mapping[str, Any],
    when: datetime,
    kind: str | None = None,
    *,
    in_home: date | None = None,
    receipts: bool = False,
) -> Touch | None:
    """The exposure of a row marked sent (see ``touch_of_delivery``), if it is one now.

    A mailer with an expected ``in_home`` date is dated then (that day's start, UTC). When
    the provider reports deliveries later (``receipts``), an SMS waits for that report
    (``record_reported``): handed over is not yet in front of the contact."""
    if receipts and kind is None and row["channel"] in AT_RECEIPT:
        return None
    if in_home is not None:
        when = datetime.combine(in_home, time(), UTC)
    return touch_of_delivery(row, when, kind)


def record_delivery(row: Mapping[str, Any], when: datetime, kind: str | None = None) -> None:
    """Record the exposure of a delivered row (see ``touch_of_delivery``), if it is one."""
    touch = touch_of_delivery(row, when, kind)
    if touch is not None:
        record_touches([touch])


def update_and_record(update: str, params: Sequence[Any], touch: Touch | None) -> bool:
    """Run ``update`` (an UPDATE of at most one row, such as marking a delivery sent) and,
    if it changed the row, record ``touch``, in the caller's transaction; whether it did.

    On PostgreSQL both go in one statement (``WITH done AS (UPDATE … RETURNING 1), ledger AS
    (INSERT … SELECT … FROM done ON CONFLICT …) SELECT count(*) FROM done``): one round trip
    per message instead of two. SQLite runs in process, where a round trip costs nothing,
    and has no such statement: the two run one after the other."""
    vendor = connection.vendor
    record = ledger_on()
    if touch is None or not record or vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(update, params)
            changed: bool = cursor.rowcount == 1
            if changed and touch is not None and record:  # one row: no batch to build
                _check_kind(touch)
                if vendor == "sqlite":  # straight to sqlite3 (which keeps it compiled)
                    sqlite3.Cursor.execute(
                        cursor.cursor, _one_row_insert(qmark=True), _row(touch, sqlite=True)
                    )
                else:
                    cursor.execute(_one_row_insert(), _row(touch, sqlite=False))
        return changed
    _check_kind(touch)
    values = ", ".join(f"CAST(%s AS {t})" for t in _column_types())
    sql = (
        f"WITH done AS ({update} RETURNING 1), ledger AS (INSERT INTO "
        f"{Exposure._meta.db_table} ({', '.join(COLUMNS)}) SELECT {values} FROM done "
        f"{_ON_CONFLICT}) SELECT count(*) FROM done"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *_row(touch, sqlite=False)])
        found = cursor.fetchone()
    return bool(found is not None and int(found[0]) == 1)


@lru_cache(maxsize=2)
def _one_row_insert(qmark: bool = False) -> str:
    """The sent mark's exposure. A row already there is this delivery's own, recorded before a
    crash: it stays as it is (a mark is never the ``delivered`` report that upgrades one).
    ``qmark``: in sqlite3's own placeholders, for its cursor (Django's rewrites every
    statement it runs from ``%s`` to ``?``)."""
    marks = ", ".join(["?" if qmark else "%s"] * len(COLUMNS))
    table = Exposure._meta.db_table
    return (
        f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({marks}) "
        "ON CONFLICT (contact_id, dedupe_key) DO NOTHING"
    )


@lru_cache(maxsize=1)
def _column_types() -> tuple[str, ...]:
    fields = {f.column: f for f in Exposure._meta.concrete_fields}
    return tuple(str(fields[c].db_type(connection)) for c in COLUMNS)


ROW_FIELDS = (
    "id", "contact_id", "campaign_id", "step_id", "channel", "kind", "enrollment__version_id",
)  # fmt: skip


def record_reported(delivery_id: int, when: datetime, kind: str) -> bool:
    """A provider's report on a message sent earlier (a mailer or an SMS ``delivered``): its
    exposure, recorded or made ``delivered``. False when there is no such delivery."""
    row = Delivery.objects.filter(id=delivery_id).values(*ROW_FIELDS).first()
    if row is None:
        return False
    record_delivery(row, when, kind)
    return True


def withdraw_delivery(delivery_id: int, contact_id: int) -> None:
    """A mailer that failed, was cancelled or came back never reached the contact: its
    expected in-home exposure goes (a reported delivery stays)."""
    Exposure.objects.filter(
        contact_id=contact_id, dedupe_key=delivery_key(delivery_id), kind=IN_HOME
    ).delete()


def record_qr_visit(delivery_id: int, when: datetime) -> bool:
    """A mailer's QR code or personal URL followed: one exposure per mailer, beside the
    mailer's own. False when there is no such delivery."""
    row = Delivery.objects.filter(id=delivery_id).values(*ROW_FIELDS).first()
    touch = touch_of_delivery(row, when, QR_VISIT) if row is not None else None
    if touch is None:
        return False
    record_touches([replace(touch, dedupe_key=f"q:{delivery_id}", delivery_id=None)])
    return True


def record_touches(touches: Sequence[Touch]) -> None:
    """Insert the touches not recorded yet, in the caller's transaction."""
    if not touches or not ledger_on():
        return
    for touch in touches:
        _check_kind(touch)
    # One row per touch: a statement may not meet the same row twice on PostgreSQL.
    unique: dict[tuple[int, str], Touch] = {}
    for touch in touches:
        seen = unique.get((touch.contact_id, touch.dedupe_key))
        if seen is None or (seen.kind == IN_HOME and touch.kind == DELIVERED):
            unique[touch.contact_id, touch.dedupe_key] = touch
    sqlite = connection.vendor == "sqlite"
    rows = [_row(t, sqlite) for t in unique.values()]
    insert_rows(Exposure._meta.db_table, COLUMNS, rows, _ON_CONFLICT)


# A mailer expected in home becomes delivered when the provider says so; nothing else is
# ever changed by recording a touch again.
_ON_CONFLICT = (
    "ON CONFLICT (contact_id, dedupe_key) DO UPDATE SET kind = excluded.kind, "
    f"occurred_at = excluded.occurred_at WHERE {Exposure._meta.db_table}.kind = '{IN_HOME}' "
    f"AND excluded.kind = '{DELIVERED}'"
)


def _row(t: Touch, sqlite: bool) -> tuple[Any, ...]:
    return (
        t.contact_id, t.channel, t.kind, t.campaign_id, t.version_id, t.step_id[:64],
        t.delivery_id, t.dedupe_key[:80], db_moment(t.occurred_at, sqlite), 0, 0,
    )  # fmt: skip


def _check_kind(touch: Touch) -> None:
    if touch.kind not in KINDS:
        raise ValueError(f"kind: {touch.kind!r} is not an exposure kind ({', '.join(KINDS)})")


def record_engagement(delivery_id: int, contact_id: int, now: datetime, *, clicked: bool) -> None:
    """One open (or one click, which is also the first open if none was seen) of a message,
    on its exposure."""
    if not ledger_on():
        return
    changes: dict[str, Any] = {
        "opens": F("opens") + 1,
        "first_opened_at": Coalesce(F("first_opened_at"), Value(now)),
    }
    if clicked:
        changes = {
            "clicks": F("clicks") + 1,
            "first_clicked_at": Coalesce(F("first_clicked_at"), Value(now)),
            # Every SET of one UPDATE reads the row as it was: this sees the old open time.
            "opens": Case(
                When(first_opened_at__isnull=True, then=F("opens") + 1),
                default=F("opens"),
                output_field=PositiveIntegerField(),
            ),
            "first_opened_at": Coalesce(F("first_opened_at"), Value(now)),
        }
    Exposure.objects.filter(contact_id=contact_id, dedupe_key=delivery_key(delivery_id)).update(
        **changes
    )


def record_audience(
    dedupe_key: str,
    channel: str,
    when: datetime,
    *,
    campaign_id: int | None = None,
    version_id: int | None = None,
    step_id: str = "",
    reach: int | None = None,
) -> bool:
    """A post published to an audience (no contact known): once per ``dedupe_key`` (the
    account and the post's id); True when it was new."""
    if not ledger_on():
        return False
    _, created = AudienceExposure.objects.get_or_create(
        dedupe_key=dedupe_key[:200],
        defaults={
            "channel": channel,
            "occurred_at": when,
            "campaign_id": campaign_id,
            "version_id": version_id,
            "step_id": step_id[:64],
            "reach": reach,
        },
    )
    return created
