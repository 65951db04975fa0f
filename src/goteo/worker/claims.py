"""The hot queries: claiming due enrollments and pending deliveries under a lease.

A claim marks rows with this worker's name and a wall-clock lease. On PostgreSQL the
candidates are locked with SKIP LOCKED so concurrent workers take disjoint batches; on SQLite
the IMMEDIATE transaction serialises claimers. A row whose lease ran out (its worker died)
is claimable again.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F, QuerySet

from goteo.campaigns.models import Delivery, DeliveryStatus, Enrollment, EnrollmentStatus


def _lockable(query: QuerySet) -> QuerySet:
    if connection.vendor == "postgresql":
        return query.select_for_update(skip_locked=True, of=("self",))
    return query


def claim_enrollments(owner: str, now: datetime, limit: int, lease_seconds: float) -> list[int]:
    wall = time.time()
    with transaction.atomic():
        candidates = _lockable(
            Enrollment.objects.filter(
                status=EnrollmentStatus.ACTIVE,
                due_at__lte=now,
                lease_until__lt=wall,
                campaign__status="active",
            ).order_by("due_at")
        )
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if ids:
            Enrollment.objects.filter(id__in=ids).update(
                lease_owner=owner, lease_until=wall + lease_seconds
            )
    return ids


def claim_deliveries(owner: str, now: datetime, limit: int, lease_seconds: float) -> list[int]:
    """Claim due deliveries; each claim counts as an attempt (a crash loop cannot go forever)."""
    wall = time.time()
    with transaction.atomic():
        candidates = _lockable(
            Delivery.objects.filter(
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now,
                lease_until__lt=wall,
                campaign__status="active",
            ).order_by("next_attempt_at", "id")
        )
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if ids:
            Delivery.objects.filter(id__in=ids).update(
                lease_owner=owner, lease_until=wall + lease_seconds, attempts=F("attempts") + 1
            )
    return ids


def release_enrollment(enrollment_id: int, owner: str, **fields: object) -> bool:
    """Write the result of a step run, only if this worker still holds the lease (fencing)."""
    updated = Enrollment.objects.filter(id=enrollment_id, lease_owner=owner).update(
        lease_owner="", lease_until=0, **fields
    )
    return updated == 1


def finish_delivery(delivery_id: int, owner: str, **fields: object) -> bool:
    updated = Delivery.objects.filter(
        id=delivery_id, lease_owner=owner, status=DeliveryStatus.PENDING
    ).update(lease_owner="", lease_until=0, **fields)
    return updated == 1
