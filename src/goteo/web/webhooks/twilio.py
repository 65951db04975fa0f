"""Twilio's webhooks: texts people send us (``/webhooks/twilio/sms/``) and status callbacks
(``/webhooks/twilio/status/``).

Both are signed by Twilio with the account's auth token (``X-Twilio-Signature``, checked by
``goteo.channels.sms.twilio_webhooks`` against ``GOTEO_BASE_URL`` + the path): an unsigned or
forged request gets 403, changes nothing and is logged in one line at INFO. When SMS does not
go through Twilio (``GOTEO_SMS_URL``), both answer 404.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from goteo.actions.sms_consent import do_inbound_sms
from goteo.actions.sms_receipts import do_sms_status
from goteo.channels.sms.config import auth_token
from goteo.channels.sms.twilio_webhooks import TWIML, reply, signed
from goteo.contacts.phones import normalize_phone
from goteo.web.http.client_ip import client_ip
from goteo.web.http.query import whole_number

log = logging.getLogger(__name__)


def _signed(request: HttpRequest, token: str) -> bool:
    url = settings.BASE_URL + request.get_full_path()
    params = {k: request.POST.get(k, "") for k in request.POST}
    return signed(token, url, params, request.headers.get("X-Twilio-Signature", ""))


def _refused(request: HttpRequest) -> HttpResponse:
    log.info(
        "twilio webhook refused: %s %s from %s (missing or wrong X-Twilio-Signature)",
        request.method,
        request.path,
        client_ip(request) or "unknown",
    )
    return HttpResponse("signature required\n", status=403, content_type="text/plain")


def _checked(request: HttpRequest) -> HttpResponse | None:
    """A refusal, or None when the request is Twilio's own."""
    token = auth_token(settings.GOTEO_SMS_URL)
    if not token:
        return HttpResponseNotFound("SMS does not go through Twilio here\n")
    return None if _signed(request, token) else _refused(request)


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest) -> HttpResponse:
    refusal = _checked(request)
    if refusal is not None:
        return refusal
    try:
        phone = normalize_phone(request.POST.get("From", ""), None)
    except ValueError:
        phone = ""  # a short code or an alphanumeric sender: no contact has it
    outcome = do_inbound_sms(
        phone, request.POST.get("Body", ""), request.POST.get("MessageSid", ""), timezone.now()
    )
    help_text = settings.GOTEO_SMS_HELP_TEXT if outcome.keyword == "help" else None
    return HttpResponse(reply(help_text), content_type=TWIML)


@csrf_exempt
@require_POST
def status_callback(request: HttpRequest) -> HttpResponse:
    refusal = _checked(request)
    if refusal is not None:
        return refusal
    raw = {k: request.POST.get(k, "") for k in request.POST}
    named = request.GET.get("d", "")
    do_sms_status(raw, whole_number(named, 1, 2**63 - 1), timezone.now())
    return HttpResponse(status=204)
