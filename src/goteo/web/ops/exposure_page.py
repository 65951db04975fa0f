"""``/outbox/exposures``: the "law of 29" report as a page (the table and its chart), beside the
outbox and switched on with it; measured at the journeys' time, so on the demo's fast clock it
counts what the journeys have seen."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from goteo.campaigns import journey_clock
from goteo.campaigns.exposure_chart import exposure_chart
from goteo.campaigns.exposure_curve import exposure_curve
from goteo.web.ops.outbox import enabled


def _report() -> dict[str, Any]:
    return exposure_curve(None, journey_clock.now())


def _with_percent(table: dict[str, Any]) -> dict[str, Any]:
    """The table with each rate also written as people read it (``33.33%``)."""
    buckets = [b | {"percent": f"{b['conversion_rate']:.2%}"} for b in table["buckets"]]
    return table | {"percent": f"{table['conversion_rate']:.2%}", "buckets": buckets}


@require_GET
def exposures(request: HttpRequest) -> HttpResponse:
    enabled()
    data = _report()
    report = _with_percent(data) | {
        "mixes": [_with_percent(m) for m in data["mixes"]],
        "campaigns": [_with_percent(c) for c in data["campaigns"]],
    }
    return render(request, "goteo/exposures.html", {"report": report, "at": journey_clock.now()})


@require_GET
def exposures_svg(request: HttpRequest) -> HttpResponse:
    enabled()
    response = HttpResponse(exposure_chart(_report()), content_type="image/svg+xml")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
