"""The outbox page: recent deliveries and, in the demo, the messages the mail catcher caught."""

from __future__ import annotations

from email.message import Message
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from goteo.campaigns.summaries import recent_deliveries
from goteo.mailcatcher import caught


def _enabled() -> None:
    if not settings.GOTEO_OUTBOX_PAGE:
        raise Http404("the outbox page is off (GOTEO_OUTBOX_PAGE=1 turns it on)")


def _part(message: Message, content_type: str) -> str:
    for part in message.walk():
        if part.get_content_type() == content_type:
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return ""


@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    _enabled()
    deliveries = recent_deliveries(100)
    folder = Path(settings.GOTEO_MAILBOX) if settings.GOTEO_MAILBOX else None
    messages = []
    for key, msg in caught(folder) if folder else []:
        from email.header import decode_header, make_header

        subject = str(make_header(decode_header(msg.get("Subject", ""))))
        to = str(make_header(decode_header(msg.get("To", ""))))
        messages.append({"key": key, "to": to, "subject": subject, "date": msg.get("Date", "")})
    context = {"deliveries": deliveries, "messages": messages, "catcher": folder is not None}
    return render(request, "goteo/outbox.html", context)


@require_GET
def message(request: HttpRequest, key: str) -> HttpResponse:
    """One caught message's HTML part, shown in a sandboxed frame by the outbox page."""
    _enabled()
    if not settings.GOTEO_MAILBOX or "/" in key:
        raise Http404
    found = dict(caught(Path(settings.GOTEO_MAILBOX), limit=10_000)).get(key)
    if found is None:
        raise Http404
    response = HttpResponse(_part(found, "text/html") or _part(found, "text/plain"))
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; style-src 'unsafe-inline'"
    return response
