"""``GET /api/v1/reports/exposures`` and ``…/exposures.svg``: the "law of 29" report and chart
(docs/measurement.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Query, Schema

from goteo.campaigns import journey_clock
from goteo.campaigns.exposure_chart import exposure_chart
from goteo.campaigns.exposure_curve import exposure_curve
from goteo.campaigns.models import Campaign
from goteo.web.api.errors import error
from goteo.web.api.ninja_api import Closed, operation


class Bucket(Closed):
    bucket: str = Field(examples=["1", "2–5", "29+"])
    min: int
    max: int | None
    contacts: int
    converted: int
    conversion_rate: float


class Table(Closed):
    contacts: int
    converted: int
    conversion_rate: float
    buckets: list[Bucket]


class Mix(Table):
    channels: list[str]


class CampaignCurve(Table):
    campaign: str


class ExposureCurve(Table):
    campaign: str | None
    mixes: list[Mix] = Field(default_factory=list)
    campaigns: list[CampaignCurve] = Field(default_factory=list)


class ExposuresQuery(Schema):
    campaign: str = Field("", description="Only this campaign's exposures (default: all)")


def _report(query: ExposuresQuery) -> dict[str, object] | JsonResponse:
    key = query.campaign.strip()
    campaign = Campaign.objects.filter(key=key).first() if key else None
    if key and campaign is None:
        return error(404, "no such campaign", {"campaign": f"{key!r} does not exist"})
    return exposure_curve(campaign, journey_clock.now())


@operation(
    "get",
    "/reports/exposures",
    "reports:read",
    {200: ExposureCurve},
    'The "law of 29" report: conversion rate by exposures before converting',
    "reports",
    errors=(404,),
    description="Per bucket, overall, per channel mix and per campaign.",
)
def exposures(request: HttpRequest, query: Query[ExposuresQuery]) -> Any:
    report = _report(query)
    return report if isinstance(report, JsonResponse) else JsonResponse(report)


@operation(
    "get",
    "/reports/exposures.svg",
    "reports:read",
    {200: None},
    'The "law of 29" chart (SVG): conversion rate per exposure bucket',
    "reports",
    errors=(404,),
    media="image/svg+xml",
)
def exposures_svg(request: HttpRequest, query: Query[ExposuresQuery]) -> Any:
    report = _report(query)
    if isinstance(report, JsonResponse):
        return report
    response = HttpResponse(exposure_chart(report), content_type="image/svg+xml")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
