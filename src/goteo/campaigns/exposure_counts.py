"""Reading the exposure ledger: what conditions are tested on, and a contact's counts.

Nothing here writes (``goteo.campaigns.exposures`` is the writer).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, Max, Min, OuterRef, QuerySet, Sum

from goteo.campaigns.models import AudienceExposure, Enrollment, Exposure
from goteo.engine.condition_model import ExposureRecord


def load_exposures(
    contact_ids: Iterable[int], since: datetime | None, now: datetime
) -> dict[int, list[ExposureRecord]]:
    """The contacts' exposures from ``since`` (None: all) to ``now``, by contact (one query)."""
    ids = set(contact_ids)
    found: dict[int, list[ExposureRecord]] = defaultdict(list)
    if not ids:
        return found
    query = Exposure.objects.filter(contact_id__in=ids, occurred_at__lte=now)
    if since is not None:
        query = query.filter(occurred_at__gte=since)
    for contact_id, channel, occurred_at in query.values_list(
        "contact_id", "channel", "occurred_at"
    ):
        found[contact_id].append(ExposureRecord(channel, occurred_at))
    return found


def contact_exposures(contact_id: int, now: datetime) -> dict[str, Any]:
    """A contact's exposures so far: in all, by channel, by kind, and the latest."""
    rows = Exposure.objects.filter(contact_id=contact_id, occurred_at__lte=now)
    by_channel = _grouped(rows, "channel")
    latest = rows.aggregate(last=Max("occurred_at"))["last"]
    return {
        "total": sum(by_channel.values()),
        "by_channel": by_channel,
        "by_kind": _grouped(rows, "kind"),
        "last_at": latest.isoformat() if latest else None,
    }


def campaign_exposures(campaign_id: int) -> dict[str, Any]:
    """A campaign's exposures: per contact (its enrolled contacts included, with none), per
    channel, per kind and per step; and its audience exposures (posts, their reach).

    Every figure is counted by the database from the campaign's indexes alone (its exposures
    by contact; its journeys by contact): how many contacts have each number of exposures,
    never a row per contact."""
    rows = Exposure.objects.filter(campaign_id=campaign_id)
    counts = _contacts_per_count(campaign_id)
    people = sum(counts.values())
    total = sum(n * k for n, k in counts.items())
    steps = (
        rows.values("step_id", "channel")
        .annotate(n=Count("*"), first=Min("occurred_at"))
        .order_by("first", "step_id", "channel")
    )
    audience = AudienceExposure.objects.filter(campaign_id=campaign_id).aggregate(
        posts=Count("id"), reach=Sum("reach")
    )
    return {
        "total": total,
        "contacts": people,
        "distribution": {str(n): counts[n] for n in sorted(counts)},
        "mean": round(total / people, 2) if people else 0.0,
        "by_channel": _grouped(rows, "channel"),
        "by_kind": _grouped(rows, "kind"),
        "steps": [
            {"step_id": s["step_id"], "channel": s["channel"], "exposures": s["n"]} for s in steps
        ],
        "audience": {"posts": audience["posts"], "reach": audience["reach"] or 0},
    }


def _contacts_per_count(campaign_id: int) -> dict[int, int]:
    """``{exposures: contacts}`` over the campaign's exposed contacts, and its enrolled
    contacts with none of its exposures under 0."""
    table = Exposure._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT n, COUNT(*) FROM (SELECT contact_id, COUNT(*) AS n FROM {table}"
            " WHERE campaign_id = %s GROUP BY contact_id) AS per_contact GROUP BY n",
            [campaign_id],
        )
        found = {int(n): int(k) for n, k in cursor.fetchall()}
    unexposed = Exists(
        Exposure.objects.filter(campaign_id=campaign_id, contact_id=OuterRef("contact_id"))
    )
    none = (
        Enrollment.objects.filter(campaign_id=campaign_id)
        .exclude(unexposed)
        .aggregate(n=Count("contact_id", distinct=True))["n"]
    )
    if none:
        found[0] = none
    return found


def _grouped(rows: QuerySet[Exposure], column: str) -> dict[str, int]:
    found = rows.values(column).annotate(n=Count("*")).order_by(column)
    return {r[column]: r["n"] for r in found}
