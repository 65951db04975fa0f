"""The hot queries: claiming due enrollments and pending deliveries under a lease.

A claim marks rows with this worker's name and a wall-clock lease. On PostgreSQL the
candidates are locked with SKIP LOCKED so concurrent workers take disjoint batches; on SQLite
the IMMEDIATE transaction serialises claimers. A row whose lease ran out (its worker died)
is claimable again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar, cast

from django.db import connection, transaction
from django.db.models import Field, Model, QuerySet
from django.utils.dateparse import parse_datetime

from goteo.campaigns.exposures import Touch, update_and_record
from goteo.campaigns.models import Campaign, Delivery, DeliveryStatus, Enrollment
from goteo.campaigns.postage_spend import campaign_spend, lock_budget
from goteo.channels.base import Price
from goteo.contacts.channel_consent import sms_refusal
from goteo.contacts.models import Contact, Suppression
from goteo.worker.gate import Facts, Postage

M = TypeVar("M", bound=Model)


def _lockable(query: QuerySet[M]) -> QuerySet[M]:
    if connection.vendor == "postgresql":
        return query.select_for_update(skip_locked=True, of=("self",))
    return query


def _claim(
    query: QuerySet[M], wall: float, owner: str, limit: int, lease: float, **extra: Any
) -> list[int]:
    """Mark up to ``limit`` rows of ``query`` as this worker's until ``wall + lease``."""
    with transaction.atomic():
        ids = list(_lockable(query).values_list("id", flat=True)[:limit])
        if ids:
            query.model._default_manager.filter(id__in=ids).update(
                lease_owner=owner, lease_until=wall + lease, **extra
            )
    return ids


# The running campaigns: a paused one's journeys and messages wait. A list read once per
# claim, not a join per row.
_RUNNING = f"SELECT k.id FROM {Campaign._meta.db_table} k WHERE k.status = 'active'"


def claim_enrollments(owner: str, now: datetime, limit: int, lease_seconds: float) -> list[int]:
    """Claim enrollments whose next step is due, the earliest first."""
    wall = time.time()
    with transaction.atomic():
        rows = _pick_and_lease(
            Enrollment._meta.db_table,
            "status = 'active' AND due_at <= %s AND lease_until < %s "
            f"AND campaign_id IN ({_RUNNING})",
            [_db_time(now), wall],
            ("due_at",),
            limit,
            "lease_owner = %s, lease_until = %s",
            [owner, wall + lease_seconds],
        )
    return [row[0] for row in rows]


def claim_deliveries(owner: str, now: datetime, limit: int, lease_seconds: float) -> list[int]:
    """Claim due deliveries; each claim counts as an attempt (a crash loop cannot go forever).

    A message whose worker died while it was in flight has its mark and send time cleared, in
    a second statement for those alone: setting them on every row would rewrite their indexes
    (SQLite rewrites the entries of every column it sets, changed or not)."""
    wall = time.time()
    table = Delivery._meta.db_table
    with transaction.atomic():
        rows = _pick_and_lease(
            table,
            "status = 'pending' AND next_attempt_at <= %s AND lease_until < %s "
            f"AND (campaign_id IS NULL OR campaign_id IN ({_RUNNING}))",
            [_db_time(now), wall],
            ("next_attempt_at", "id"),
            limit,
            "lease_owner = %s, lease_until = %s, attempts = attempts + 1",
            [owner, wall + lease_seconds],
            also=("in_flight_until", "sent_at"),
        )
        marked = [row[0] for row in rows if row[-2] or row[-1] is not None]
        if marked:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET in_flight_until = 0, sent_at = NULL "
                    f"WHERE id IN ({', '.join(['%s'] * len(marked))})",
                    marked,
                )
    return [row[0] for row in rows]


def _pick_and_lease(
    table: str,
    due: str,
    due_params: list[Any],
    order: tuple[str, ...],
    limit: int,
    lease: str,
    lease_params: list[Any],
    also: tuple[str, ...] = (),
) -> list[tuple[Any, ...]]:
    """Lease up to ``limit`` rows of ``table`` matching ``due`` (first in ``order``), in one
    statement; each one's id, its ``order`` columns and the columns named in ``also``, in
    that order.

    On PostgreSQL the candidates are locked with SKIP LOCKED, so concurrent workers take
    disjoint batches; the pick is an array, made once, which the update reads through the
    primary key (a join would let the planner hash the whole table at middling sizes). On
    SQLite the IMMEDIATE transaction serialises claimers.
    """
    by = ", ".join(order)
    pick = f"SELECT id FROM {table} WHERE {due} ORDER BY {by} LIMIT %s"
    returning = ", ".join(("id", *order, *also))
    if connection.vendor == "postgresql":
        where = f"id = ANY(ARRAY({pick} FOR UPDATE SKIP LOCKED))"
    else:
        where = f"id IN ({pick})"
    sql = f"UPDATE {table} SET {lease} WHERE {where} RETURNING {returning}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*lease_params, *due_params, limit])
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    rows.sort(key=lambda row: row[1 : 1 + len(order)])
    return rows


def mark_in_flight(
    delivery_id: int,
    contact_id: int,
    owner: str,
    at: datetime,
    lease_seconds: float,
    price: Price | None = None,
) -> float | None:
    """Inside the gate's transaction: mark a delivery in flight, its lease renewed for the send.

    Mark and lease end ``lease_seconds`` from now. ``at`` is the time it will be recorded as
    sent at, if it is: the frequency cap counts it from then on. Returns the mark's deadline,
    or None when this worker no longer holds the delivery (another worker claimed it after
    its lease ran out). An unsubscribe committed after this waits for the record
    (``campaigns.in_flight``). A priced message (a mailer) carries its ``price`` from here
    on: a campaign's postage spend counts it (``campaigns.postage_spend``). The delivery's
    ``contact_id`` is in the statement, so that a store distributed by contact sends it to the
    contact's shard alone (docs/scaling.md).
    """
    until = time.time() + lease_seconds
    _, cost = _prep(Delivery, {"postage": price.amount if price is not None else None})
    sql = (
        f"UPDATE {Delivery._meta.db_table} SET in_flight_until = %s, lease_until = %s, "
        "sent_at = %s, postage = %s WHERE id = %s AND contact_id = %s AND lease_owner = %s "
        "AND status = %s"
    )
    params = [until, until, _db_time(at), *cost, delivery_id, contact_id, owner]
    params.append(DeliveryStatus.PENDING.value)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        changed: int = cursor.rowcount
    return until if changed == 1 else None


def still_held(ids: list[int], owner: str) -> set[int]:
    """Inside a transaction: which of ``ids`` this worker still holds, locked until commit.

    It waits for the row locks instead of skipping locked rows: another worker's claim scan
    may hold a lock on one of our rows for a moment, and skipping it would leave our own
    claimed work undone until the lease ran out.
    """
    query = Enrollment.objects.filter(id__in=ids, lease_owner=owner)
    if connection.vendor == "postgresql":
        query = query.select_for_update(of=("self",))
    return set(query.values_list("id", flat=True))


def _prep(model: type[Model], fields: dict[str, object]) -> tuple[str, list[Any]]:
    """``SET`` clause and parameters, each value prepared by its field (JSON, dates)."""
    clause, columns = _set_clause(model, tuple(fields))
    pairs = zip(columns, fields.values(), strict=True)
    return clause, [f.get_db_prep_save(v, connection) for f, v in pairs]


@lru_cache(maxsize=256)  # a handful of shapes, written message after message
def _set_clause(model: type[Model], names: tuple[str, ...]) -> tuple[str, list[Field[Any, Any]]]:
    columns = [cast("Field[Any, Any]", model._meta.get_field(name)) for name in names]
    return ", ".join(f"{f.column} = %s" for f in columns), columns


StepResult = tuple[int, int, dict[str, object]]  # enrollment id, its contact id, new columns


def release_enrollments(owner: str, results: list[StepResult]) -> None:
    """Write step results and release the leases: one statement, many rows.

    The caller holds the rows (``still_held``) in the same transaction. Each row is named by
    its id and its contact's (one shard's, on a store distributed by contact).
    """
    if not results:
        return
    clause, _ = _prep(Enrollment, results[0][2])
    sql = (
        f"UPDATE {Enrollment._meta.db_table} SET {clause}, lease_owner = '', lease_until = 0 "
        "WHERE id = %s AND contact_id = %s AND lease_owner = %s"
    )
    params = [
        [*_prep(Enrollment, fields)[1], eid, contact_id, owner]
        for eid, contact_id, fields in results
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


@dataclass(frozen=True)
class PostageQuery:
    """What a campaign's postage budget needs to know about one priced message (a mailer)."""

    delivery_id: int
    price: Price | None
    unpriced: str = ""  # why it has no price


@dataclass(frozen=True)
class PacingQuery:
    """What the frequency cap needs to know about one marketing delivery's contact."""

    delivery_id: int
    since: datetime  # the start of the cap's period
    now: datetime


def send_facts(
    contact_id: int,
    campaign_id: int | None,
    address_hash: str,
    pacing: PacingQuery | None = None,
    channel: str = "email",
    postage: PostageQuery | None = None,
) -> Facts:
    """Everything the gate needs, read just before a send, inside the sender's transaction.

    The first statement locks the contact's row until that transaction ends (on SQLite the
    transaction already holds the database's write lock), so a status change such as an
    unsubscribe, and another worker's send to the same contact, wait until this message is
    sent and recorded. The second (only under a frequency cap) starts after the lock is
    granted, so it sees every send another worker recorded before (docs/pacing.md). An SMS
    also reads the contact's number and SMS consent, in the same statement. A priced message
    of a campaign locks the campaign's row next and reads its budget and spend (``postage``).
    """
    lock = " FOR NO KEY UPDATE OF c" if connection.vendor == "postgresql" else ""
    sql = (
        f"SELECT c.status, c.paused_until, c.timezone, c.phone, c.sms_consent, "
        f"(SELECT k.status FROM {Campaign._meta.db_table} k WHERE k.id = %s), "
        f"(SELECT s.reason FROM {Suppression._meta.db_table} s WHERE s.email_hash = %s) "
        f"FROM {Contact._meta.db_table} c WHERE c.id = %s{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id, address_hash, contact_id])
        row = cursor.fetchone()
    if row is None:
        return Facts(None, None, None, None)
    refusal = sms_refusal(row[3], row[4]) if channel == "sms" else None
    facts = Facts(
        row[0], _aware(row[1]), row[5], row[6], timezone=row[2] or "", consent_refusal=refusal
    )
    if postage is not None and campaign_id is not None:
        facts = _with_postage(facts, campaign_id, postage)
    if pacing is None:
        return facts
    sent, ahead = _pacing_facts(contact_id, pacing)
    return replace(facts, recent_sends=sent, ahead=ahead)


def _with_postage(facts: Facts, campaign_id: int, query: PostageQuery) -> Facts:
    """The campaign's status as its locked row says (a pause committed meanwhile counts), and
    its budget with what its other mailers have committed."""
    status, budget = lock_budget(campaign_id)
    if budget is None:
        return replace(facts, campaign_status=status)
    spent = campaign_spend(campaign_id, excluding=query.delivery_id).committed
    found = Postage(budget, spent, query.price, query.unpriced)
    return replace(facts, campaign_status=status, postage=found)


def _pacing_facts(contact_id: int, query: PacingQuery) -> tuple[tuple[datetime, ...], int]:
    """The contact's marketing sends since ``query.since`` (its messages in flight count as
    sent, at the time they will be recorded with: they may be), and how many of its other due
    marketing messages go before this one: higher campaign priority, or the same priority and
    due earlier (then the lower id)."""
    delivery, campaign = Delivery._meta.db_table, Campaign._meta.db_table
    sql = (
        f"SELECT d.sent_at, 0 FROM {delivery} d WHERE d.contact_id = %s "
        "AND d.kind = 'marketing' AND d.sent_at > %s AND (d.status = 'sent' "
        "OR (d.status = 'pending' AND d.in_flight_until > %s)) "
        f"UNION ALL SELECT NULL, COUNT(*) FROM {delivery} d "
        f"JOIN {campaign} k ON k.id = d.campaign_id "
        f"JOIN {delivery} me ON me.id = %s AND me.contact_id = d.contact_id "
        f"JOIN {campaign} mk ON mk.id = me.campaign_id "
        "WHERE d.contact_id = %s AND d.id <> me.id AND d.kind = 'marketing' "
        "AND d.status = 'pending' AND d.next_attempt_at <= %s AND d.in_flight_until <= %s "
        "AND k.status = 'active' AND (k.priority > mk.priority OR (k.priority = mk.priority "
        "AND (d.next_attempt_at < me.next_attempt_at "
        "OR (d.next_attempt_at = me.next_attempt_at AND d.id < me.id))))"
    )
    since, now = (_db_time(t) for t in (query.since, query.now))
    wall = time.time()
    params = [contact_id, since, wall, query.delivery_id, contact_id, now, wall]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    sent = tuple(t for r in rows if (t := _aware(r[0])) is not None)
    ahead = sum(int(r[1]) for r in rows if r[0] is None)
    return sent, ahead


def _db_time(value: datetime) -> Any:
    field = cast("Field[Any, Any]", Delivery._meta.get_field("sent_at"))
    return field.get_db_prep_value(value, connection)


def _aware(value: object) -> datetime | None:
    """A timestamp from a raw query: SQLite gives text, PostgreSQL an aware datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = parse_datetime(str(value))
    assert parsed is not None, value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def finish_delivery(
    delivery_id: int, contact_id: int, owner: str, touch: Touch | None = None, /, **fields: object
) -> bool:
    """Record a delivery's outcome, only if this worker still holds it, and then its
    exposure ``touch``, if any (in one statement where the database allows); clear its mark in
    flight, with the send time and the cost the mark set, unless it was sent. Like the mark in
    flight, it names the delivery's ``contact_id`` too."""
    cleared: dict[str, object] = {"sent_at": None}
    if fields.get("status") != DeliveryStatus.SENT:
        cleared["postage"] = None  # not sent: it costs nothing
    clause, values = _prep(Delivery, cleared | fields)
    sets = f"{clause}, " if clause else ""
    sql = (
        f"UPDATE {Delivery._meta.db_table} SET {sets}lease_owner = '', lease_until = 0, "
        "in_flight_until = 0 "
        "WHERE id = %s AND contact_id = %s AND lease_owner = %s AND status = %s"
    )
    params = [*values, delivery_id, contact_id, owner, DeliveryStatus.PENDING.value]
    return update_and_record(sql, params, touch)
