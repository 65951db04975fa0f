"""The Results page: figures over time per day and channel, the funnel per campaign, the A/B
results with their significance, and the "law of 29" chart, for every campaign or one.

The charts are drawn in the browser by the vendored Chart.js from the figures passed as JSON
(``json_script``); the same figures are in tables beside them.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from goteo.campaigns import journey_clock
from goteo.campaigns.exposure_curve import exposure_curve
from goteo.campaigns.funnel import funnels
from goteo.campaigns.models import Campaign
from goteo.campaigns.time_series import daily_series
from goteo.console.ab_view_rows import splits, with_split
from goteo.console.access import page
from goteo.console.rendering import show

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30


def _period(request: HttpRequest) -> int:
    given = request.GET.get("days", "")
    return int(given) if given.isdigit() and int(given) in PERIODS else DEFAULT_PERIOD


def _labels() -> dict[str, str]:
    return {
        "sends": _("Messages sent"),
        "opens": _("Opens"),
        "clicks": _("Clicks"),
        "conversions": _("Conversions"),
        "revenue": _("Revenue"),
        "rate": _("Conversion rate"),
        "exposures": _("Exposures before converting"),
    }


@page
def results(request: HttpRequest) -> HttpResponse:
    key = request.GET.get("campaign", "").strip()
    chosen = (
        Campaign.objects.select_related("current_version").filter(key=key).first() if key else None
    )
    if key and chosen is None:
        raise Http404(key)
    now = journey_clock.now()
    days = _period(request)
    series = daily_series(now, days, chosen.id if chosen else None)
    # The A/B results and the exposure curve read every journey or exposure of their scope:
    # one campaign's, never the whole store's on one page (the CLI and the API give those).
    curve = exposure_curve(chosen, now) if chosen else None
    charts: dict[str, Any] = series.as_json() | {"labels": _labels()}
    if curve is not None:
        charts["exposures"] = [
            {"bucket": b["bucket"], "rate": b["conversion_rate"], "contacts": b["contacts"]}
            for b in curve["buckets"]
        ]
    context = {
        "campaigns": list(Campaign.objects.order_by("key").values("key", "name")),
        "chosen": chosen,
        "days": days,
        "periods": PERIODS,
        "series": series,
        "charts": charts,
        "funnels": funnels(chosen.id if chosen else None),
        "splits": splits(chosen, now) if chosen else [],
        "split_campaigns": [] if chosen else with_split(),
        "curve": curve,
        "buckets": [b | {"pct": f"{b['conversion_rate']:.1%}"} for b in curve["buckets"]]
        if curve
        else [],
    }
    return show(request, "console/results.html", context, section="results")
