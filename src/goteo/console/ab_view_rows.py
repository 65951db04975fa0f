"""The A/B results as the Results page shows them: rates and differences as percentages, and
a verdict per variant (better, worse, no significant difference yet, not enough data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from goteo.campaigns.ab_results import SplitResults, VariantResult, first_split, split_results
from goteo.campaigns.models import Campaign
from goteo.campaigns.split_rule import split_section


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _points(value: float) -> str:
    return f"{value * 100:+.1f}"


def _verdict(v: VariantResult) -> str:
    if v.control or v.holdout:
        return ""
    if v.test is None:
        return "untestable"
    if not v.test.significant:
        return "unclear"
    return "better" if v.test.difference > 0 else "worse"


def _row(v: VariantResult) -> dict[str, Any]:
    return {
        "name": v.name,
        "control": v.control,
        "holdout": v.holdout,
        "enrolled": v.enrolled,
        "converted": v.converted,
        "rate": _pct(v.rate),
        "difference": _points(v.test.difference) if v.test else "",
        "p_value": f"{v.test.p_value:.3f}" if v.test else "",
        "verdict": _verdict(v),
    }


def shown(name: str, result: SplitResults) -> dict[str, Any]:
    lift = result.lift
    return {
        "campaign": result.campaign,
        "name": name,
        "result": result,
        "level": f"{result.confidence:.0%}",
        "rows": [_row(v) for v in result.variants],
        "lift": lift
        and {
            "difference": _points(lift.difference),
            "low": _points(lift.low),
            "high": _points(lift.high),
            "treated": _pct(lift.treated_rate),
            "holdout": _pct(lift.holdout_rate),
            "significant": lift.significant,
        },
    }


def splits(chosen: Campaign, now: datetime) -> list[dict[str, Any]]:
    """The chosen campaign's split with its rule and decision, for the page (none when it
    has no split)."""
    result = split_results(chosen)
    if result is None:
        return []
    return [shown(chosen.name, result) | {"decision": split_section(chosen, now)}]


def with_split() -> list[dict[str, str]]:
    """The campaigns whose current version has a split step: key and name."""
    campaigns = Campaign.objects.select_related("current_version").order_by("key")
    return [{"key": c.key, "name": c.name} for c in campaigns if first_split(c) is not None]
