"""``GET /api/v1/deliveries``: the newest outgoing messages first, perhaps of one status."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from goteo.campaigns.models import DeliveryStatus
from goteo.campaigns.summaries import recent_deliveries
from goteo.web.api.auth import api_scope
from goteo.web.api.errors import error


@require_GET
@api_scope("deliveries:read")
def deliveries(request: HttpRequest) -> JsonResponse:
    status = request.GET.get("status")
    if status is not None and status not in DeliveryStatus.values:
        choices = ", ".join(DeliveryStatus.values)
        return error(400, "bad filter", {"status": f"use one of {choices}"})
    try:
        limit = int(request.GET.get("limit", 50))
    except ValueError:
        return error(400, "bad filter", {"limit": "must be a whole number"})
    if limit < 1:
        return error(400, "bad filter", {"limit": "must be 1 or more"})
    rows = recent_deliveries(min(limit, 500), status)
    return JsonResponse({"deliveries": rows})
