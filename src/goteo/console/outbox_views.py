"""The outbox in the web app: every delivery, filtered by channel and status, and every
message the mail catcher caught, each shown safely: text escaped, a message's HTML only in an
``<iframe sandbox srcdoc=…>`` on a page whose Content-Security-Policy forbids scripts.

The rows are the public operator outbox's (``goteo.web.ops.outbox``): one read model for both.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.campaigns.summaries import recent_deliveries
from goteo.console.access import page
from goteo.console.page_policies import framed
from goteo.console.rendering import show
from goteo.web.ops.outbox import caught_messages, caught_parts

OUTBOX_ROWS = 100
STATUS_LABELS = {
    DeliveryStatus.PENDING: _("pending"),
    DeliveryStatus.SENT: _("sent"),
    DeliveryStatus.FAILED: _("failed"),
    DeliveryStatus.SUPPRESSED: _("suppressed"),
}


@page
def outbox(request: HttpRequest) -> HttpResponse:
    channels = sorted(set(Delivery.objects.values_list("channel", flat=True).distinct()))
    channel, status = request.GET.get("channel", ""), request.GET.get("status", "")
    errors = []
    if channel and channel not in channels:
        errors.append(f"channel: {channel!r} is none of {', '.join(channels) or 'no channel yet'}")
    if status and status not in DeliveryStatus.values:
        errors.append(f"status: {status!r} is none of {', '.join(DeliveryStatus.values)}")
    found = [] if errors else recent_deliveries(OUTBOX_ROWS, status or None, channel or None)
    rows = [r | {"status_label": STATUS_LABELS.get(r["status"], r["status"])} for r in found]
    caught = caught_messages()
    context = {
        "rows": rows,
        "channels": channels,
        "statuses": list(STATUS_LABELS.items()),
        "channel": channel,
        "status": status,
        "errors": errors,
        "caught": caught or [],
        "catcher": caught is not None,
    }
    return show(
        request, "console/outbox.html", context, section="outbox", status=400 if errors else 200
    )


@page
def caught_message(request: HttpRequest, key: str) -> HttpResponse:
    parts = caught_parts(key)
    listed = next((m for m in caught_messages() or [] if m["key"] == key), None)
    if parts is None or listed is None:
        raise Http404(key)
    context = {"message": listed, "html": parts[0], "text": parts[1]}
    return framed(show(request, "console/caught_message.html", context, section="outbox"))
