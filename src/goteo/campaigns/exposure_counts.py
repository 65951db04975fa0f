"""Reading the exposure ledger: what conditions are tested on, and a contact's counts.

Nothing here writes (``goteo.campaigns.exposures`` is the writer).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, Max

from goteo.campaigns.models import Exposure
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
    by_channel = dict(
        rows.values("channel")
        .annotate(n=Count("id"))
        .order_by("channel")
        .values_list("channel", "n")
    )
    by_kind = dict(
        rows.values("kind").annotate(n=Count("id")).order_by("kind").values_list("kind", "n")
    )
    latest = rows.aggregate(last=Max("occurred_at"))["last"]
    return {
        "total": sum(by_channel.values()),
        "by_channel": by_channel,
        "by_kind": by_kind,
        "last_at": latest.isoformat() if latest else None,
    }
