"""The read-only pages the navigation reaches besides the dashboard and campaigns: the
contacts and results, each through the shared read models."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from goteo.actions.contact_list import list_contacts
from goteo.actions.errors import ActionError
from goteo.campaigns import journey_clock
from goteo.campaigns.summaries import campaign_rows
from goteo.console.access import page
from goteo.console.rendering import show

CONTACT_ROWS = 50


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
def results(request: HttpRequest) -> HttpResponse:
    return show(request, "console/results.html", {"rows": campaign_rows()}, section="results")
