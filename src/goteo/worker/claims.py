"""The hot queries: claiming due enrollments and pending deliveries under a lease.

A claim marks rows with this worker's name and a wall-clock lease. On PostgreSQL the
candidates are locked with SKIP LOCKED so concurrent workers take disjoint batches; on SQLite
the IMMEDIATE transaction serialises claimers. A row whose lease ran out (its worker died)
is claimable again.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import F, Field, Model, QuerySet

from goteo.campaigns.models import Campaign, Delivery, DeliveryStatus, Enrollment, EnrollmentStatus
from goteo.contacts.models import Contact


def _lockable(query: QuerySet) -> QuerySet:
    if connection.vendor == "postgresql":
        return query.select_for_update(skip_locked=True, of=("self",))
    return query


def _claim(
    query: QuerySet, wall: float, owner: str, limit: int, lease: float, **extra: Any
) -> list[int]:
    """Mark up to ``limit`` rows of ``query`` as this worker's until ``wall + lease``."""
    with transaction.atomic():
        ids = list(_lockable(query).values_list("id", flat=True)[:limit])
        if ids:
            query.model.objects.filter(id__in=ids).update(
                lease_owner=owner, lease_until=wall + lease, **extra
            )
    return ids


def claim_enrollments(owner: str, now: datetime, limit: int, lease_seconds: float) -> list[int]:
    """Claim enrollments whose next step is due."""
    wall = time.time()
    due = Enrollment.objects.filter(
        status=EnrollmentStatus.ACTIVE,
        due_at__lte=now,
        lease_until__lt=wall,
        campaign__status="active",
    ).order_by("due_at")
    return _claim(due, wall, owner, limit, lease_seconds)


def claim_deliveries(owner: str, now: datetime, limit: int, lease_seconds: float) -> list[int]:
    """Claim due deliveries; each claim counts as an attempt (a crash loop cannot go forever)."""
    wall = time.time()
    due = Delivery.objects.filter(
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now,
        lease_until__lt=wall,
        campaign__status="active",
    ).order_by("next_attempt_at", "id")
    return _claim(due, wall, owner, limit, lease_seconds, attempts=F("attempts") + 1)


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
    columns = [cast("Field[Any, Any]", model._meta.get_field(name)) for name in fields]
    clause = ", ".join(f"{f.column} = %s" for f in columns)
    pairs = zip(columns, fields.values(), strict=True)
    return clause, [f.get_db_prep_save(v, connection) for f, v in pairs]


def release_enrollments(owner: str, results: list[tuple[int, dict[str, object]]]) -> None:
    """Write step results and release the leases: one statement, many rows.

    The caller holds the rows (``still_held``) in the same transaction.
    """
    if not results:
        return
    clause, _ = _prep(Enrollment, results[0][1])
    sql = (
        f"UPDATE {Enrollment._meta.db_table} SET {clause}, lease_owner = '', lease_until = 0 "
        "WHERE id = %s AND lease_owner = %s"
    )
    params = [[*_prep(Enrollment, fields)[1], eid, owner] for eid, fields in results]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def send_allowed(contact_id: int, campaign_id: int) -> tuple[str | None, str | None]:
    """The contact's and the campaign's status now, read just before a send."""
    sql = (
        f"SELECT c.status, k.status FROM {Contact._meta.db_table} c, "
        f"{Campaign._meta.db_table} k WHERE c.id = %s AND k.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [contact_id, campaign_id])
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (None, None)


def finish_delivery(delivery_id: int, owner: str, **fields: object) -> bool:
    """Record a delivery's outcome, only if this worker still holds it."""
    clause, values = _prep(Delivery, fields)
    sets = f"{clause}, " if clause else ""
    sql = (
        f"UPDATE {Delivery._meta.db_table} SET {sets}lease_owner = '', lease_until = 0 "
        "WHERE id = %s AND lease_owner = %s AND status = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, delivery_id, owner, DeliveryStatus.PENDING.value])
        return cursor.rowcount == 1
