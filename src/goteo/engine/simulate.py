"""What one contact would receive, computed by the real engine on a virtual clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from goteo.engine.advance import ContactView, advance
from goteo.engine.commands import Command, Send, updated_fields
from goteo.engine.conditions import EventRecord
from goteo.engine.model import Campaign
from goteo.engine.state import EnrollmentState

STATUS_EVENTS = {"unsubscribed": "unsubscribed", "bounced": "bounced"}
KINDS = {"Send": "send", "Update": "update", "AddScore": "score", "Notify": "notify"}


@dataclass(frozen=True)
class ContactEvent:
    at: datetime
    name: str
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # "send", "update", "score", "notify", "webhook", "event" or "end"
    send: Send | None = None
    detail: str = ""
    command: Command | None = None  # the other commands (update, score, notify, webhook)


def simulate(
    campaign: Campaign,
    contact: ContactView,
    start: datetime,
    days: float,
    events: Iterable[ContactEvent] = (),
    seed: int = 0,
) -> list[Entry]:
    """The timeline from ``start`` for ``days``; sends nothing and touches no database.

    ``events`` are what the contact does meanwhile (``unsubscribed`` and ``bounced`` change
    its status); ``seed`` picks the split variants, as a real journey's random seed does.
    """
    end = start + timedelta(days=days)
    pending = sorted(events, key=lambda e: e.at)
    state = EnrollmentState.start(campaign.first_step_id, started_at=start, seed=seed)
    timeline: list[Entry] = []
    now = start
    while now <= end:
        while pending and pending[0].at <= now:
            event = pending.pop(0)
            timeline.append(Entry(event.at, "event", detail=event.name))
            contact = _after_event(contact, event)
        outcome = advance(campaign, state, contact, now)
        state = outcome.state
        for command in outcome.commands:
            timeline.append(_entry(now, command))
            contact = _after_command(contact, command)
        if state.status != "active":
            timeline.append(Entry(now, "end", detail=f"{state.status}: {state.end_reason}"))
            break
        # An active state always waits for a moment after ``now`` (a wait or a window).
        assert state.wake_at is not None and state.wake_at > now
        now = min(state.wake_at, pending[0].at) if pending else state.wake_at
    return timeline


def _entry(now: datetime, command: Command) -> Entry:
    if isinstance(command, Send):
        return Entry(now, "send", send=command)
    kind = KINDS.get(type(command).__name__, "webhook")
    return Entry(now, kind, detail=command.step_id, command=command)


def _after_event(contact: ContactView, event: ContactEvent) -> ContactView:
    if event.name in STATUS_EVENTS:
        return replace(contact, status=STATUS_EVENTS[event.name])
    record = EventRecord(event.name, dict(event.properties), event.at)
    return replace(contact, facts=replace(contact.facts, events=(*contact.facts.events, record)))


def _after_command(contact: ContactView, command: Command) -> ContactView:
    """Updates and points change what later decisions see, as they do in the database."""
    fields = updated_fields(contact.facts.fields, command)
    return replace(contact, facts=replace(contact.facts, fields=fields))
