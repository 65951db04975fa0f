"""Contacts in the API: ``GET /api/v1/contacts`` lists those matching a condition, a page at
a time; ``POST`` on the same path creates or updates one by email; ``GET
/api/v1/contacts/<email>`` is one contact's card.

The filter is the condition language of segments (docs/conditions.md), given as JSON (or
YAML) in ``where``. A person's data rights (export, erasure) are ``gdpr``.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from goteo import strict_json
from goteo.actions.contact_card import contact_card
from goteo.actions.contact_list import MAX_LIMIT, list_contacts
from goteo.actions.contacts import do_upsert_contact
from goteo.actions.errors import ActionError
from goteo.actions.sms_consent import (
    check_sms_choice,
    grant_sms_consent,
    withdraw_sms_consent,
)
from goteo.actions.subscriptions import do_subscribe
from goteo.campaigns import journey_clock
from goteo.campaigns.exposure_counts import contact_exposures
from goteo.campaigns.pace_report import contact_pacing
from goteo.contacts.fields import READ_ONLY, normalize_email
from goteo.engine.step_parser import SLUG
from goteo.web.api.auth import api_scope
from goteo.web.api.errors import error
from goteo.web.api.openapi_registry import (
    Operation,
    error_response,
    json_response,
    query_parameter,
    register,
)
from goteo.web.api.operations import CONTACT_LISTED, object_schema

CONTACT_FIELDS = (
    "id",
    "email",
    "first_name",
    "last_name",
    "locale",
    "timezone",
    "phone",
    "status",
    "sms_consent",
    "attributes",
    "postal_address",
    "created_at",
    "updated_at",
)


@require_http_methods(["GET", "POST"])
def contacts(request: HttpRequest) -> HttpResponse:
    """GET lists contacts; POST creates or updates one."""
    if request.method == "GET":
        return listing(request)
    return upsert(request)


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
        return error(400, exc.message, exc.fields)
    return JsonResponse(
        {"contacts": page.contacts, "next_cursor": page.next_cursor},
        json_dumps_params={"ensure_ascii": False},
    )


@api_scope("contacts:write")
def upsert(request: HttpRequest) -> JsonResponse:
    try:
        data = strict_json.loads(request.body or b"null")
    except strict_json.JsonRefused as exc:
        return error(400, "the body is not JSON that can be stored", {"body": str(exc)})
    if not isinstance(data, dict):
        return error(400, "the body must be a JSON object", {"body": 'expected {"email": …}'})
    unknown = {k for k in data if k in READ_ONLY}
    if unknown:
        return error(400, "read-only fields", {k: "cannot be set here" for k in sorted(unknown)})
    topics = data.pop("subscribe", [])
    if isinstance(topics, str):
        topics = [topics]
    if not isinstance(topics, list) or not all(
        isinstance(t, str) and SLUG.match(t) for t in topics
    ):
        return error(400, "invalid contact", {"subscribe": 'a list of list keys, like ["news"]'})
    sms_opt_in, sms_opt_out = data.pop("sms_opt_in", None), data.pop("sms_opt_out", None)
    try:
        opt_in = check_sms_choice(sms_opt_in, sms_opt_out)
        with transaction.atomic():  # the contact and its SMS consent, or neither
            result = do_upsert_contact(data)
            if opt_in is not None:
                grant_sms_consent(result.contact, "api", opt_in.text, timezone.now(), opt_in.ip)
            elif sms_opt_out:
                withdraw_sms_consent(result.contact, "api", timezone.now())
    except ActionError as exc:
        return error(400, exc.message, exc.fields)
    enrolled: dict[str, int] = {}
    for topic in topics:
        for key, report in do_subscribe([result.contact.id], topic, timezone.now()).items():
            enrolled[key] = enrolled.get(key, 0) + report.enrolled
    body = {k: getattr(result.contact, k) for k in CONTACT_FIELDS} | {"enrolled": enrolled}
    return JsonResponse(body, status=201 if result.created else 200)


@require_GET
@api_scope("contacts:read")
def contact_detail(request: HttpRequest, email: str) -> JsonResponse:
    try:
        normalize_email(email)
    except ValueError as exc:
        return error(400, "not an email address", {"email": str(exc)})
    try:
        card = contact_card(email, journey_clock.now())
    except ActionError as exc:
        return error(404, exc.message, exc.fields)
    now = journey_clock.now()
    extra = {"exposures": contact_exposures(card.id, now), "pacing": contact_pacing(card.id, now)}
    return JsonResponse(card.as_json() | extra, json_dumps_params={"ensure_ascii": False})


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
