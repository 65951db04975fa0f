"""``GET /api/v1/reports/campaigns/<key>`` and ``GET /api/v1/conversions`` (docs/measurement.md)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, JsonResponse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import is_naive, make_aware
from django.views.decorators.http import require_GET

from goteo.campaigns.reports import NoSuchCampaign, campaign_report, conversion_rows
from goteo.web.api import error
from goteo.web.api_auth import api_scope
from goteo.web.api_operations import STANDING, object_schema
from goteo.web.openapi_registry import (
    Operation,
    error_response,
    json_response,
    path_parameter,
    query_parameter,
    register,
)
from goteo.web.query import whole_number

MAX_LIMIT = 1000


@require_GET
@api_scope("reports:read")
def campaign(request: HttpRequest, key: str) -> JsonResponse:
    try:
        return JsonResponse(campaign_report(key))
    except NoSuchCampaign:
        return error(404, "no such campaign", {"campaign": f"{key!r} does not exist"})


@require_GET
@api_scope("conversions:read")
def conversions(request: HttpRequest) -> JsonResponse:
    since_text = request.GET.get("since", "").strip()
    since = parse_since(since_text) if since_text else None
    if since_text and since is None:
        return error(400, "invalid query", {"since": "an ISO 8601 date or date and time"})
    limit = whole_number(request.GET.get("limit", "100"), 1, MAX_LIMIT)
    if limit is None:
        return error(400, "invalid query", {"limit": f"a whole number from 1 to {MAX_LIMIT}"})
    campaign_key = request.GET.get("campaign", "").strip() or None
    rows = conversion_rows(campaign_key, since, limit)
    return JsonResponse({"conversions": rows})


def parse_since(text: str) -> datetime | None:
    """``2026-03-01`` (midnight UTC) or ``2026-03-01T09:00:00+01:00`` (UTC when naive)."""
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            moment = datetime(day.year, day.month, day.day) if day else None
    except ValueError:
        return None
    if moment is None:
        return None
    return make_aware(moment, timezone=None) if is_naive(moment) else moment


_STEP = {
    "type": "object",
    "properties": {
        "step_id": {"type": "string"},
        "sent": {"type": "integer"},
        "opened": {"type": "integer"},
        "clicked": {"type": "integer"},
        "conversions": {"type": "integer"},
        "revenue": {"type": "object", "additionalProperties": {"type": "string"}},
        "suppressed": {
            "type": "object",
            "description": "Messages not sent, by reason (skipped: no postal address, …)",
            "additionalProperties": {"type": "integer"},
        },
    },
}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
_EXPOSURES = {
    "type": "object",
    "description": "From the exposure ledger (docs/measurement.md)",
    "properties": {
        "total": {"type": "integer"},
        "contacts": {"type": "integer"},
        "distribution": _COUNTS,
        "mean": {"type": "number"},
        "by_channel": _COUNTS,
        "by_kind": _COUNTS,
        "steps": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "step_id": {"type": "string"},
                    "channel": {"type": "string"},
                    "exposures": {"type": "integer"},
                },
            },
        },
        "audience": {
            "type": "object",
            "properties": {"posts": {"type": "integer"}, "reach": {"type": "integer"}},
        },
    },
}
LISTED_JOURNEY = STANDING | {"contact_id": {"type": "integer"}, "email": {"type": "string"}}
_REPORT = {
    "type": "object",
    "properties": {
        "campaign": {"type": "object"},
        "goal": {
            "type": "object",
            "description": "What the variants are measured against; declared is false when "
            "the campaign has no goal and the conversion events within 30 days count.",
            "properties": {
                "events": {"type": "array", "items": {"type": "string"}},
                "within": {"type": "string", "examples": ["30d", "2w", "1d12h"]},
                "declared": {"type": "boolean"},
            },
        },
        "enrolled": {"type": "integer"},
        "contacts_sent": {"type": "integer"},
        "messages_sent": {"type": "integer"},
        "opened": {"type": "integer"},
        "clicked": {"type": "integer"},
        "conversions": {"type": "integer"},
        "revenue": {"type": "object", "additionalProperties": {"type": "string"}},
        "steps": {"type": "array", "items": _STEP},
        "variants": {"type": "array", "items": {"type": "object"}},
        "exposures": _EXPOSURES,
        "pacing": {
            "type": ["object", "null"],
            "description": "A paced campaign's journeys on pace, ahead or behind its target "
            "(docs/exposure-pacing.md); null for a campaign without pacing",
            "properties": {
                "journeys": {"type": "integer"},
                "on_pace": {"type": "integer"},
                "ahead": {"type": "integer"},
                "behind": {"type": "integer"},
                "listed": {
                    "type": "array",
                    "description": "At most 100 journeys, the furthest behind first",
                    "items": object_schema(list(LISTED_JOURNEY), LISTED_JOURNEY),
                },
            },
        },
        "postage": {
            "type": ["object", "null"],
            "description": "What the campaign's mailers cost against its postage budget "
            "(docs/direct-mail.md#the-postage-budget), amounts as text in the currency's "
            "minor unit; null for a campaign with no budget whose mailers cost nothing",
            "properties": {
                "budget": {"type": ["string", "null"], "examples": ["500.00"]},
                "currency": {"type": ["string", "null"], "examples": ["EUR"]},
                "spent": {"type": "string", "description": "the mailers recorded sent"},
                "mailers": {"type": "integer", "description": "how many were sent"},
                "in_flight": {
                    "type": "string",
                    "description": "mailers handed to the provider, not yet recorded",
                },
                "in_flight_mailers": {"type": "integer"},
                "remaining": {"type": ["string", "null"], "examples": ["1.80"]},
            },
        },
    },
}
register(
    Operation(
        path="/api/v1/reports/campaigns/{key}",
        method="get",
        scope="reports:read",
        summary="A campaign's report: reach, engagement, conversions, revenue, lift, exposures",
        parameters=(path_parameter("key", "The campaign key"),),
        responses={
            "200": json_response("The report", _REPORT),
            "404": error_response("No campaign has this key"),
        },
        tags=("reports",),
    )
)
register(
    Operation(
        path="/api/v1/conversions",
        method="get",
        scope="conversions:read",
        summary="Conversions, newest first, with the touch each is credited to",
        parameters=(
            query_parameter("campaign", "Only those credited to this campaign", {"type": "string"}),
            query_parameter("since", "Only those at or after this moment", {"type": "string"}),
            query_parameter(
                "limit",
                "At most this many (1-1000, default 100)",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            ),
        ),
        responses={
            "200": json_response(
                "The conversions",
                {"type": "object", "properties": {"conversions": {"type": "array"}}},
            ),
            "400": error_response("A query parameter cannot be used"),
        },
        tags=("reports",),
    )
)
