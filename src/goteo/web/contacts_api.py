"""``GET /api/v1/contacts``: contacts matching a condition, a page at a time.

``POST`` on the same path is the upsert (``api.contacts``). The filter is the condition
language of segments (docs/conditions.md), given as JSON (or YAML) in ``where``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from goteo.actions.contact_list import MAX_LIMIT, list_contacts
from goteo.actions.errors import ActionError
from goteo.campaigns import journey_clock
from goteo.web import api
from goteo.web.api_auth import api_scope
from goteo.web.api_operations import CONTACT_LISTED, object_schema
from goteo.web.openapi_registry import (
    Operation,
    error_response,
    json_response,
    query_parameter,
    register,
)


@require_http_methods(["GET", "POST"])
def contacts(request: HttpRequest) -> HttpResponse:
    """GET lists contacts; POST creates or updates one (``api.contacts``)."""
    if request.method == "GET":
        return listing(request)
    return api.contacts(request)


@api_scope("contacts:read")
def listing(request: HttpRequest) -> JsonResponse:
    try:
        page = list_contacts(
            request.GET.get("where"),
            request.GET.get("limit", "50"),
            request.GET.get("cursor"),
            journey_clock.now(),
        )
    except ActionError as exc:
        return api.error(400, exc.message, exc.fields)
    return JsonResponse(
        {"contacts": page.contacts, "next_cursor": page.next_cursor},
        json_dumps_params={"ensure_ascii": False},
    )


register(
    Operation(
        path="/api/v1/contacts",
        method="get",
        scope="contacts:read",
        tags=("contacts",),
        summary="Contacts matching a condition, oldest first, a page at a time",
        description=(
            "`where` is a condition of the segment language (docs/conditions.md) as JSON, "
            'such as {"locale": "es", "score": {"gte": 50}}; without it, every contact. '
            "Pass the answer's next_cursor as `cursor` for the next page; it is null on the "
            "last page."
        ),
        parameters=(
            query_parameter("where", "A condition, as JSON", {"type": "string"}),
            query_parameter(
                "limit",
                f"At most this many (1-{MAX_LIMIT}, default 50)",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            ),
            query_parameter("cursor", "The next_cursor of the previous page", {"type": "string"}),
        ),
        responses={
            "200": json_response(
                "One page of contacts",
                object_schema(
                    ["contacts", "next_cursor"],
                    {
                        "contacts": {"type": "array", "items": CONTACT_LISTED},
                        "next_cursor": {"type": ["string", "null"]},
                    },
                ),
            ),
            "400": error_response("A bad condition, limit or cursor (named in fields)"),
        },
    )
)
