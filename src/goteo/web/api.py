"""The minimal REST API: health, campaigns, contacts (upsert, card), deliveries. JSON in and out.

Listing contacts is ``contacts_api``; a person's data rights, ``gdpr_views``.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from goteo.actions.contact_card import contact_card
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
from goteo.campaigns.models import DeliveryStatus
from goteo.campaigns.pace_report import contact_pacing
from goteo.campaigns.summaries import campaign_rows, recent_deliveries
from goteo.contacts.fields import READ_ONLY, normalize_email
from goteo.engine.step_parser import SLUG
from goteo.web import strict_json
from goteo.web.api_auth import api_scope

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


def error(status: int, message: str, fields: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse({"error": message, "fields": fields or {}}, status=status)


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any database failure means unhealthy
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


@require_GET
@api_scope("campaigns:read")
def campaigns(request: HttpRequest) -> JsonResponse:
    rows = campaign_rows()
    return JsonResponse({"campaigns": rows})


@require_http_methods(["POST"])
@api_scope("contacts:write")
def contacts(request: HttpRequest) -> JsonResponse:
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
