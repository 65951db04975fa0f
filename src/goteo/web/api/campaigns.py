"""``GET /api/v1/campaigns``: every campaign with its version, trigger and counts."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from goteo.campaigns.summaries import campaign_rows
from goteo.web.api.auth import api_scope


@require_GET
@api_scope("campaigns:read")
def campaigns(request: HttpRequest) -> JsonResponse:
    rows = campaign_rows()
    return JsonResponse({"campaigns": rows})
