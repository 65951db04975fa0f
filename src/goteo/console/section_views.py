"""The read-only pages the navigation reaches besides the dashboard and campaigns: the
outbox, contacts and forms, each through the shared read models."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from goteo.actions.contact_list import list_contacts
from goteo.actions.errors import ActionError
from goteo.campaigns import journey_clock
from goteo.campaigns.summaries import recent_deliveries
from goteo.console.access import page
from goteo.console.rendering import show
from goteo.contacts.models import Form

OUTBOX_ROWS = 100
CONTACT_ROWS = 50


@page
def outbox(request: HttpRequest) -> HttpResponse:
    rows = recent_deliveries(OUTBOX_ROWS)
    return show(request, "console/outbox.html", {"rows": rows}, section="outbox")


@page
def contacts(request: HttpRequest) -> HttpResponse:
    try:
        found = list_contacts(None, CONTACT_ROWS, request.GET.get("after"), journey_clock.now())
    except ActionError as exc:
        return show(
            request, "console/contacts.html", {"error": exc}, section="contacts", status=400
        )
    context = {"rows": found.contacts, "next_cursor": found.next_cursor}
    return show(request, "console/contacts.html", context, section="contacts")


@page
def forms(request: HttpRequest) -> HttpResponse:
    rows = Form.objects.order_by("key").values("key", "name", "locale", "double_opt_in")
    return show(request, "console/forms.html", {"rows": list(rows)}, section="forms")
