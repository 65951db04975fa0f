"""``GET /api/v1/campaigns``: every campaign with its version, trigger and counts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from goteo.campaigns.summaries import campaign_rows
from goteo.web.api.ninja_api import Closed, operation


class Trigger(Closed):
    kind: str
    value: str | None


class CampaignRow(Closed):
    key: str
    name: str
    status: str
    status_reason: str
    version: int | None
    trigger: Trigger
    active: int
    enrolled: int


class Campaigns(Closed):
    campaigns: list[CampaignRow]


@operation(
    "get",
    "/campaigns",
    "campaigns:read",
    {200: Campaigns},
    "Every campaign with its version, trigger and enrollment counts",
    "campaigns",
)
def campaigns(request: HttpRequest) -> Any:
    return JsonResponse({"campaigns": campaign_rows()})
