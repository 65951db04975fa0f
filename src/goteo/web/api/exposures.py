"""``GET /api/v1/reports/exposures`` and ``…/exposures.svg``: the "law of 29" report and chart
(docs/measurement.md)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from goteo.campaigns import journey_clock
from goteo.campaigns.exposure_chart import exposure_chart
from goteo.campaigns.exposure_curve import exposure_curve
from goteo.campaigns.models import Campaign
from goteo.web.api.auth import api_scope
from goteo.web.api.errors import error
from goteo.web.api.openapi_registry import (
    Operation,
    error_response,
    json_response,
    query_parameter,
    register,
)


def _report(request: HttpRequest) -> dict[str, object] | JsonResponse:
    key = request.GET.get("campaign", "").strip()
    campaign = Campaign.objects.filter(key=key).first() if key else None
    if key and campaign is None:
        return error(404, "no such campaign", {"campaign": f"{key!r} does not exist"})
    return exposure_curve(campaign, journey_clock.now())


@require_GET
@api_scope("reports:read")
def exposures(request: HttpRequest) -> JsonResponse:
    report = _report(request)
    return report if isinstance(report, JsonResponse) else JsonResponse(report)


@require_GET
@api_scope("reports:read")
def exposures_svg(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    if isinstance(report, JsonResponse):
        return report
    response = HttpResponse(exposure_chart(report), content_type="image/svg+xml")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


_INT, _RATE = {"type": "integer"}, {"type": "number"}
_BUCKET = {
    "type": "object",
    "properties": {
        "bucket": {"type": "string", "examples": ["1", "2–5", "29+"]},
        "min": _INT,
        "max": {"type": ["integer", "null"]},
        "contacts": _INT,
        "converted": _INT,
        "conversion_rate": _RATE,
    },
}
_TABLE = {
    "contacts": _INT,
    "converted": _INT,
    "conversion_rate": _RATE,
    "buckets": {"type": "array", "items": _BUCKET},
}
_MIX = {"channels": {"type": "array", "items": {"type": "string"}}} | _TABLE
_CAMPAIGN_ROW = {"campaign": {"type": "string"}} | _TABLE
_CURVE = {
    "type": "object",
    "properties": {
        "campaign": {"type": ["string", "null"]},
        **_TABLE,
        "mixes": {"type": "array", "items": {"type": "object", "properties": _MIX}},
        "campaigns": {"type": "array", "items": {"type": "object", "properties": _CAMPAIGN_ROW}},
    },
}
_SCOPE = query_parameter(
    "campaign", "Only this campaign's exposures (default: all)", {"type": "string"}
)
register(
    Operation(
        path="/api/v1/reports/exposures",
        method="get",
        scope="reports:read",
        summary='The "law of 29" report: conversion rate by exposures before converting',
        parameters=(_SCOPE,),
        responses={
            "200": json_response("Per bucket, overall, per channel mix and per campaign", _CURVE),
            "404": error_response("No campaign has this key"),
        },
        tags=("reports",),
    )
)
register(
    Operation(
        path="/api/v1/reports/exposures.svg",
        method="get",
        scope="reports:read",
        summary='The "law of 29" chart (SVG): conversion rate per exposure bucket',
        parameters=(_SCOPE,),
        responses={
            "200": {
                "description": "An SVG bar chart, without scripts",
                "content": {"image/svg+xml": {"schema": {"type": "string"}}},
            },
            "404": error_response("No campaign has this key"),
        },
        tags=("reports",),
    )
)
