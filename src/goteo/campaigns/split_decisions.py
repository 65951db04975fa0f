"""Decided splits, read: the winners the worker lays onto campaigns, and one campaign's
decision as the report, the console and the API show it. Nothing here writes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from goteo.campaigns.models import SplitDecision


def winners_of(campaign_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Campaign id -> {split step id: winning variant}, for the campaigns decided; one query."""
    found: dict[int, dict[str, str]] = {}
    rows = SplitDecision.objects.filter(campaign_id__in=set(campaign_ids))
    for campaign_id, step_id, variant in rows.values_list("campaign_id", "step_id", "variant"):
        found.setdefault(campaign_id, {})[step_id] = variant
    return found


def decision_of(campaign_id: int, step_id: str) -> dict[str, Any] | None:
    """The decision of one split: who, when, why, with the figures it was made on."""
    row = SplitDecision.objects.filter(campaign_id=campaign_id, step_id=step_id).first()
    if row is None:
        return None
    return {
        "step_id": row.step_id,
        "variant": row.variant,
        "decided_at": row.decided_at.isoformat(),
        "decided_by": row.decided_by,
        "metric": row.metric,
        "p_value": row.p_value,
        "confidence": row.confidence,
        "figures": row.figures,
        "reason": row.reason,
    }
