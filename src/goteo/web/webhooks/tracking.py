"""Provider tracking webhooks: ``POST /webhooks/<provider>/tracking/``.

django-anymail authenticates each request the provider's way and normalises its events; a
request that fails, or whose payload is not the provider's
(``goteo.channels.email.webhook_payloads``), is refused with 400 before anything is read, and
logged in one line (``refusals``); a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is refused with
413 unread. Each event then goes to ``do_record_event`` with its raw payload: a replayed event
(same provider and event id) is recognised and changes nothing. A provider whose credentials
are not configured gets 404.
"""

from __future__ import annotations

import json
from typing import Any

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailTrackingEvent, tracking
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt

from goteo.actions.provider_events import do_record_event
from goteo.channels.email.bounce_labels import bounce_label
from goteo.channels.email.webhook_payloads import MalformedPayload
from goteo.channels.email.webhook_providers import PROVIDERS, provider_key
from goteo.web.http.query import whole_number
from goteo.web.webhooks import refusals

_VIEWS = {key: provider.view.as_view() for key, provider in PROVIDERS.items()}


@csrf_exempt
def tracking_webhook(request: HttpRequest, esp: str) -> HttpResponse:
    provider = PROVIDERS.get(esp)
    if provider is None or not provider.enabled():
        return HttpResponseNotFound(
            "no tracking webhook for this provider is configured here\n", content_type="text/plain"
        )
    limit = int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)
    length = str(request.META.get("CONTENT_LENGTH") or "0")
    if limit and whole_number(length, 0, limit) is None:
        return refusals.too_large(request, esp, limit)
    try:
        response: HttpResponse = _VIEWS[esp](request)
    except AnymailWebhookValidationFailure as exc:
        return refusals.forged(request, esp, str(exc))
    except MalformedPayload as exc:
        return refusals.malformed(request, esp, str(exc))
    return response


def jsonable(payload: Any) -> Any:
    """The provider's payload as plain JSON (Mailgun's legacy form posts are QueryDicts)."""
    if hasattr(payload, "lists"):
        payload = {k: v[0] if len(v) == 1 else v for k, v in payload.lists()}
    return json.loads(json.dumps(payload, default=str))


def describe(event: AnymailTrackingEvent) -> str:
    parts = [str(p) for p in (event.description, event.mta_response) if p]
    return "; ".join(dict.fromkeys(parts))


@receiver(tracking, dispatch_uid="goteo.web.webhooks.tracking.record")
def record_tracking_event(
    sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    provider = provider_key(esp_name)
    raw = jsonable(event.esp_event)
    do_record_event(
        provider,
        str(event.event_id or ""),
        str(event.event_type or "unknown"),
        str(event.recipient or ""),
        str(event.message_id or ""),
        describe(event),
        raw,
        event.timestamp,
        severity=bounce_label(
            provider, raw, str(event.mta_response or ""), str(event.reject_reason or "")
        ),
    )
