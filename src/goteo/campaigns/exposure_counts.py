"""Reading the exposure ledger: what conditions are tested on, and a contact's counts.

Nothing here writes (``goteo.campaigns.exposures`` is the writer).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, QuerySet, Sum

from goteo.campaigns.models import AudienceExposure, Exposure
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


def campaign_exposures(campaign_id: int, enrolled: set[int]) -> dict[str, Any]:
    """A campaign's exposures: per contact (the enrolled ones included, with none), per
    channel, per kind and per step; and its audience exposures (posts, their reach)."""
    rows = Exposure.objects.filter(campaign_id=campaign_id)
    per_contact = dict(
        rows.values("contact_id").annotate(n=Count("id")).values_list("contact_id", "n")
    )
    counts: Counter[int] = Counter(per_contact.get(c, 0) for c in enrolled | set(per_contact))
    people = sum(counts.values())
    total = sum(n * k for n, k in counts.items())
    steps = (
        rows.values("step_id", "channel")
        .annotate(n=Count("id"), first=Min("occurred_at"))
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


def _grouped(rows: QuerySet[Exposure], column: str) -> dict[str, int]:
    found = rows.values(column).annotate(n=Count("id")).order_by(column)
    return {r[column]: r["n"] for r in found}
