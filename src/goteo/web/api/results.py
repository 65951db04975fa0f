"""``GET /api/v1/reports/over-time`` and ``GET /api/v1/reports/campaigns/{key}/ab``: results
per day and channel, and a campaign's A/B results with their significance (Django Ninja).

The same read models as the web app's Results page (``campaigns/time_series.py``,
``campaigns/ab_results.py``); docs/api.md and docs/measurement.md say what each number is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Schema

from goteo.campaigns.ab_results import DEFAULT_CONFIDENCE, split_results
from goteo.campaigns.models import Campaign
from goteo.campaigns.time_series import MAX_DAYS, daily_series
from goteo.web.api.errors import error
from goteo.web.api.ninja_api import ERRORS, api, scoped

View = Callable[..., Any]


class DayRow(Schema):
    day: str = Field(examples=["2026-04-01"])
    channel: str = Field(examples=["email", "none"])
    sends: int
    opens: int
    clicks: int
    conversions: int
    revenue: dict[str, str] = Field(examples=[{"EUR": "25.00"}])


class OverTime(Schema):
    campaign: str | None
    first: str
    last: str
    rows: list[DayRow]


class OverTimeQuery(Schema):
    campaign: str = Field("", max_length=64, description="a campaign key; every campaign if empty")
    days: int = Field(30, ge=1, le=MAX_DAYS, description="the last days, today included")


class ZTestOut(Schema):
    difference: float
    z: float
    p_value: float
    significant: bool


class VariantOut(Schema):
    name: str
    holdout: bool
    control: bool
    enrolled: int
    converted: int
    conversion_rate: float
    test: ZTestOut | None


class LiftOut(Schema):
    treated_rate: float
    holdout_rate: float
    difference: float
    low: float
    high: float
    relative: float | None
    significant: bool


class SplitOut(Schema):
    campaign: str
    step_id: str
    confidence: float
    variants: list[VariantOut]
    lift: LiftOut | None


class SplitQuery(Schema):
    confidence: float = Field(DEFAULT_CONFIDENCE, ge=0.5, le=0.999)


def _report(path: str, ok: type[Schema], summary: str) -> Callable[[View], View]:
    """A GET report operation (scope ``reports:read``), its id from its path."""
    name = path.strip("/").replace("/", "-").replace("{", "").replace("}", "")
    decorate: Callable[[View], View] = api.get(
        path,
        response={200: ok} | ERRORS,
        summary=summary,
        operation_id=f"get-{name}",
        tags=["reports"],
        **scoped("reports:read"),
    )
    return decorate


@_report("/reports/over-time", OverTime, "Sends, opens, clicks, conversions and revenue per day")
def over_time(request: HttpRequest, query: Query[OverTimeQuery]) -> Any:
    key = query.campaign.strip()
    campaign = Campaign.objects.filter(key=key).first() if key else None
    if key and campaign is None:
        return error(404, "no such campaign", {"campaign": f"{key!r} does not exist"})
    series = daily_series(timezone.now(), query.days, campaign.id if campaign else None)
    return {
        "campaign": key or None,
        "first": series.first.isoformat(),
        "last": series.last.isoformat(),
        "rows": [
            {
                "day": r.day.isoformat(),
                "channel": r.channel,
                "sends": r.sends,
                "opens": r.opens,
                "clicks": r.clicks,
                "conversions": r.conversions,
                "revenue": {c: f"{v:.2f}" for c, v in r.revenue.items()},
            }
            for r in series.rows
        ],
    }


@_report("/reports/campaigns/{key}/ab", SplitOut, "A campaign's A/B results and holdout lift")
def ab(request: HttpRequest, key: str, query: Query[SplitQuery]) -> Any:
    campaign = Campaign.objects.select_related("current_version").filter(key=key).first()
    if campaign is None:
        return error(404, "no such campaign", {"key": f"{key!r} does not exist"})
    result = split_results(campaign, query.confidence)
    if result is None:
        return error(404, "the campaign has no split step", {"key": key})
    return {
        "campaign": result.campaign,
        "step_id": result.step_id,
        "confidence": result.confidence,
        "variants": [
            {
                "name": v.name,
                "holdout": v.holdout,
                "control": v.control,
                "enrolled": v.enrolled,
                "converted": v.converted,
                "conversion_rate": round(v.rate, 4),
                "test": v.test,
            }
            for v in result.variants
        ],
        "lift": result.lift,
    }
