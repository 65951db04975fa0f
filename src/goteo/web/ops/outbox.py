"""The outbox page: recent deliveries and, in the demo, what each channel's test provider
kept: the messages the mail catcher caught, the mailers (their first page as an image), the
texts and the posts. ``?channel=mail`` (or email, sms, social) shows one channel."""

from __future__ import annotations

from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from goteo.campaigns.summaries import recent_deliveries
from goteo.mailcatcher import caught
from goteo.web.ops import outbox_channels


def enabled() -> None:
    if not settings.GOTEO_OUTBOX_PAGE:
        raise Http404("the outbox page is off (GOTEO_OUTBOX_PAGE=1 turns it on)")


def _part(message: Message, content_type: str) -> str:
    for part in message.walk():
        if part.get_content_type() == content_type:
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return ""


def caught_messages() -> list[dict[str, str]] | None:
    """The messages the mail catcher received (GOTEO_MAILBOX), newest first: key, to,
    subject and date; None when no mailbox is set. The web app's outbox lists them too."""
    folder = Path(settings.GOTEO_MAILBOX) if settings.GOTEO_MAILBOX else None
    if folder is None:
        return None
    messages = []
    for key, msg in caught(folder):
        subject = str(make_header(decode_header(msg.get("Subject", ""))))
        to = str(make_header(decode_header(msg.get("To", ""))))
        messages.append({"key": key, "to": to, "subject": subject, "date": msg.get("Date", "")})
    return messages


def caught_parts(key: str) -> tuple[str, str] | None:
    """One caught message's HTML and text parts, or None when there is no such message."""
    if not settings.GOTEO_MAILBOX or "/" in key:
        return None
    found = dict(caught(Path(settings.GOTEO_MAILBOX), limit=10_000)).get(key)
    if found is None:
        return None
    return _part(found, "text/html"), _part(found, "text/plain")


@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    enabled()
    channel = request.GET.get("channel", "")
    if channel and channel not in outbox_channels.CHANNELS:
        choices = ", ".join(outbox_channels.CHANNELS)
        return HttpResponseBadRequest(
            f"channel: must be one of {choices}", content_type="text/plain"
        )
    shows = {c: channel in ("", c) for c in outbox_channels.CHANNELS}
    caught_mail = caught_messages() if shows["email"] else None
    context: dict[str, Any] = {
        "channel": channel,
        "channels": outbox_channels.CHANNELS,
        "shows": shows,
        "deliveries": recent_deliveries(100, channel=channel or None),
        "catcher": caught_mail is not None,
        "messages": caught_mail or [],
        "mailers": outbox_channels.mailers() if shows["mail"] else None,
        "texts": outbox_channels.texts() if shows["sms"] else None,
        "posts": outbox_channels.posts() if shows["social"] else None,
    }
    return render(request, "goteo/outbox.html", context)


@require_GET
def message(request: HttpRequest, key: str) -> HttpResponse:
    """One caught message's HTML part, shown in a sandboxed frame by the outbox page."""
    enabled()
    parts = caught_parts(key)
    if parts is None:
        raise Http404
    response = HttpResponse(parts[0] or parts[1])
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; style-src 'unsafe-inline'"
    return response
