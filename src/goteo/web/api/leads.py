"""``GET /api/v1/leads/hot``: the leads handed over to sales (docs/lead-scoring.md)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from goteo.actions.scoring import hot_leads
from goteo.campaigns import journey_clock
from goteo.web.api.auth import api_scope
from goteo.web.api.errors import error
from goteo.web.api.openapi_registry import (
    Operation,
    error_response,
    json_response,
    query_parameter,
    register,
)
from goteo.web.http.query import whole_number

MAX_LIMIT = 1000


@require_GET
@api_scope("leads:read")
def hot(request: HttpRequest) -> JsonResponse:
    limit = whole_number(request.GET.get("limit", "100"), 1, MAX_LIMIT)
    if limit is None:
        return error(400, "invalid query", {"limit": f"a whole number from 1 to {MAX_LIMIT}"})
    owner = request.GET.get("owner", "").strip() or None
    rows = hot_leads(journey_clock.now(), owner, limit)
    return JsonResponse({"leads": rows})


_LEAD = {
    "type": "object",
    "required": ["id", "email", "score", "owner", "hot_at", "last_activity"],
    "properties": {
        "id": {"type": "integer"},
        "email": {"type": "string"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "score": {"type": "number", "description": "The current (decayed) score"},
        "owner": {"type": "string", "description": "The salesperson's email; empty: nobody"},
        "hot_at": {"type": "string", "format": "date-time"},
        "last_activity": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "When the lead's latest event happened",
        },
    },
}
register(
    Operation(
        path="/api/v1/leads/hot",
        method="get",
        scope="leads:read",
        summary="Hot leads: contacts whose score crossed the threshold, highest score first",
        parameters=(
            query_parameter("owner", "Only the leads of this salesperson", {"type": "string"}),
            query_parameter(
                "limit",
                "At most this many (1-1000, default 100)",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            ),
        ),
        responses={
            "200": json_response(
                "The hot leads",
                {
                    "type": "object",
                    "required": ["leads"],
                    "properties": {"leads": {"type": "array", "items": _LEAD}},
                },
            ),
            "400": error_response("A query parameter cannot be used"),
        },
        tags=("leads",),
    )
)
