"""Simulate for this contact: the timeline the engine gives one stored contact in a campaign's
current version, on a virtual clock from now (the same ``simulate`` as ``goteo simulate``),
with the contact's own fields and past events. Nothing is written or sent."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from goteo.campaigns import journey_clock
from goteo.campaigns.models import Campaign
from goteo.campaigns.split_decisions import winners_of
from goteo.campaigns.versions import campaign_for_version
from goteo.console.access import page
from goteo.console.rendering import show
from goteo.contacts.models import Contact
from goteo.engine.advance import ContactView
from goteo.engine.conditions import Facts
from goteo.engine.model import Campaign as Definition
from goteo.engine.needs import event_needs
from goteo.engine.simulate import simulate
from goteo.engine.split_winners import with_winners
from goteo.engine.window import zone
from goteo.worker.facts import CONTACT_FIELDS, load_events

DAYS_DEFAULT, DAYS_MAX = 30, 365


def timeline(definition: Definition, contact: Contact, days: int) -> list[dict[str, Any]]:
    now = journey_clock.now()
    fields = {name: getattr(contact, name) for name in CONTACT_FIELDS}
    events = load_events([(contact.id, event_needs(definition), now)], now).get(contact.id, [])
    view = ContactView(
        status=contact.status,
        locale=contact.locale or None,
        timezone=contact.timezone or None,
        facts=Facts(fields=fields, events=tuple(events)),
    )
    tz = zone(contact.timezone or None, definition.timezone)
    return [
        {
            # As text: a template would show an aware time in the server's zone.
            "at": entry.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            "iso": entry.at.astimezone(tz).isoformat(timespec="minutes"),
            "kind": entry.kind,
            "step": entry.step_id,
            "detail": entry.detail,
            "send": entry.send,
        }
        for entry in simulate(definition, view, now, days)
    ]


@page
def simulate_contact(request: HttpRequest, key: str) -> HttpResponse:
    row = Campaign.objects.select_related("current_version").filter(key=key).first()
    if row is None or row.current_version is None:
        raise Http404(key)
    email = request.GET.get("email", "").strip()
    raw = request.GET.get("days", "").strip() or str(DAYS_DEFAULT)
    context: dict[str, Any] = {"campaign": row, "email": email, "days": raw}
    days = int(raw) if raw.isdigit() else 0
    if email and not 1 <= days <= DAYS_MAX:
        context["error"] = f"days: {raw!r}: a whole number of days from 1 to {DAYS_MAX}"
        return show(request, "console/simulate.html", context, section="campaigns", status=400)
    if email:
        contact = Contact.objects.filter(email=email.lower()).first()
        if contact is None:
            context["error"] = f"email: no contact {email!r}"
            return show(request, "console/simulate.html", context, section="campaigns", status=400)
        version = row.current_version
        context["contact"] = contact
        # A decided split sends the contact to its winner, as the worker would.
        definition = with_winners(
            campaign_for_version(version.id, version.checksum), winners_of([row.id]).get(row.id, {})
        )
        context["entries"] = timeline(definition, contact, days)
    return show(request, "console/simulate.html", context, section="campaigns")
