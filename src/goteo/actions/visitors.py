"""Website visitors: what the tracking snippet collects, and who a visitor turns out to be.

``do_collect`` records a visitor's page views and custom events (through
``goteo.actions.events.do_record_events``, which also keeps the Visitor row). ``do_identify``
and ``do_merge_visitor`` link a visitor to a contact and move the visitor's anonymous history
onto that contact, in one transaction. Identifying never subscribes anyone: an unknown address
becomes a contact exactly as the events API makes one, without consent or topics.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from goteo.actions.events import EventInput, RecordReport, do_record_events
from goteo.actions.reactions import wake_contacts
from goteo.actions.scoring import score_events
from goteo.contacts import event_store
from goteo.contacts.event_facts import EventFact
from goteo.contacts.fields import normalize_email, nul_problem
from goteo.contacts.models import Event, Visitor

# What the snippet generates (32 hex digits); other clients may use any id of 16 to 64 of
# these characters. Short ids are refused: they would be easy to guess.
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
EVENTS_PER_MINUTE = 120  # one visitor's events accepted per minute; more are dropped


@dataclass(frozen=True)
class TrackedEvent:
    """One event from a browser, checked by the web layer (goteo.web.tracking.payload)."""

    name: str
    properties: Mapping[str, Any] = field(default_factory=dict)
    event_id: str | None = None  # the browser's id for it: a resent beacon is stored once


@dataclass(frozen=True)
class Collected:
    stored: int
    limited: bool = False  # the visitor sent too many events lately: nothing was stored


def do_collect(anonymous_id: str, events: Sequence[TrackedEvent], now: datetime) -> Collected:
    """Record a visitor's events (on the contact too, once the visitor is identified)."""
    if not VISITOR_ID.match(anonymous_id):
        raise ValueError("not a visitor id")
    events = [e for e in events if nul_problem(e.properties) is None]  # cannot be stored
    if not events:
        return Collected(0)
    recent = Event.objects.filter(
        anonymous_id=anonymous_id, received_at__gt=now - timedelta(minutes=1)
    ).count()
    if recent + len(events) > EVENTS_PER_MINUTE:
        return Collected(0, limited=True)
    report: RecordReport = do_record_events([_input(anonymous_id, e) for e in events], now)
    return Collected(len(report.stored))


def _input(anonymous_id: str, event: TrackedEvent) -> EventInput:
    key = f"t:{anonymous_id}:{event.event_id}" if event.event_id else None
    return EventInput(
        name=event.name,
        anonymous_id=anonymous_id,
        properties=dict(event.properties),
        idempotency_key=key,
        source="tracking",
    )


def do_identify(anonymous_id: str, email: str, now: datetime) -> int | None:
    """Link the visitor to the contact with this address (created, without any consent, if
    unknown) and move its anonymous history onto it. Returns the contact's id, or None for
    an address or visitor id that is not valid (nothing is changed then)."""
    try:
        address = normalize_email(email)
    except ValueError:
        return None
    if not VISITOR_ID.match(anonymous_id):
        return None
    with transaction.atomic():
        found = event_store.contact_ids_by_email([address])
        contact_id = found.get(address) or event_store.create_contacts([address])[address]
        do_merge_visitor(anonymous_id, contact_id, now)
    return contact_id


def do_merge_visitor(anonymous_id: str, contact_id: int, now: datetime) -> int:
    """Make ``contact_id`` the visitor's contact and give it the visitor's events that have
    no contact yet; returns how many moved. Events already on a contact stay where they are.
    """
    with transaction.atomic():
        event_store.touch_visitors({anonymous_id: (now, now)})
        Visitor.objects.filter(anonymous_id=anonymous_id).update(
            contact_id=contact_id, identified_at=now
        )
        orphans = Event.objects.filter(anonymous_id=anonymous_id, contact__isnull=True)
        merged = [
            EventFact(id, contact_id, name, occurred_at, properties or {})
            for id, name, occurred_at, properties in orphans.values_list(
                "id", "name", "occurred_at", "properties"
            )
        ]
        moved = orphans.update(contact_id=contact_id)
        if moved:
            # The visits before sign-up count for the lead score (pricing pages read before
            # identifying are the point of scoring them); they do not fire event triggers:
            # a journey starts from what the contact does now, not from last week's visits.
            score_events(merged, now)
            # Waits for events and goals look at the contact's history now, not at their timer.
            wake_contacts([contact_id], now)
    return moved
