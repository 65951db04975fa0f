"""Contacts: the list (search, a condition, keyset pages), one contact's page and its timeline.

The list reads through ``list_contacts`` (as ``goteo contacts list`` and the API do), the page
through the contact card and the contact timeline. The timeline refreshes itself every few
seconds while the page is open (htmx), so it fills as the worker runs.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from goteo.actions.contact_card import card_of
from goteo.actions.contact_list import ContactPage, list_contacts
from goteo.actions.contact_timeline import contact_timeline
from goteo.actions.errors import ActionError
from goteo.campaigns import journey_clock
from goteo.console.access import page
from goteo.console.rendering import show
from goteo.contacts.models import Contact

CONTACT_ROWS = 50
TIMELINE_ROWS = 50


def _listed(request: HttpRequest) -> tuple[ContactPage, bool]:
    """The page asked for, and whether a page comes before it."""
    where, search = request.GET.get("where", ""), request.GET.get("q", "")
    before, after = request.GET.get("before"), request.GET.get("after")
    now = journey_clock.now()
    if before:
        found = list_contacts(where, CONTACT_ROWS, before, now, search=search, backward=True)
        if found.contacts:
            return found, found.previous_cursor is not None
        after = None  # nothing before it: the first page
    found = list_contacts(where, CONTACT_ROWS, after, now, search=search)
    return found, bool(after) and bool(found.contacts)


@page
def contacts(request: HttpRequest) -> HttpResponse:
    chosen: dict[str, object] = {name: request.GET.get(name, "") for name in ("q", "where")}
    context: dict[str, object] = chosen | {
        "keep": urlencode({k: v for k, v in chosen.items() if v})
    }
    try:
        found, earlier = _listed(request)
    except ActionError as exc:
        problems = [f"{name}: {message}" for name, message in exc.fields.items()]
        context |= {"error": exc.message, "problems": problems, "rows": []}
        return show(request, "console/contacts.html", context, section="contacts", status=400)
    context |= {
        "rows": found.contacts,
        "next_cursor": found.next_cursor,
        "previous_cursor": found.contacts[0]["id"] if earlier else None,
    }
    return show(request, "console/contacts.html", context, section="contacts")


def _contact(contact_id: int) -> Contact:
    contact = Contact.objects.filter(id=contact_id).first()
    if contact is None:
        raise Http404("no such contact")
    return contact


def _timeline_context(request: HttpRequest, contact: Contact) -> dict[str, object]:
    cursor = request.GET.get("older")
    try:
        timeline = contact_timeline(contact.id, TIMELINE_ROWS, cursor)
    except ActionError:
        raise Http404("no such page of the timeline") from None
    return {"contact": contact, "timeline": timeline, "older": cursor, "poll": not cursor}


@page
def contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    found = _contact(contact_id)
    card = card_of(found, journey_clock.now())
    context = {"card": card, "attributes": sorted(card.attributes.items())}
    context |= _timeline_context(request, found)
    return show(request, "console/contact.html", context, section="contacts")


@page
def timeline(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The timeline alone: what the contact page's poll swaps in."""
    context = _timeline_context(request, _contact(contact_id))
    return render(request, "console/contact_timeline.html", context)
