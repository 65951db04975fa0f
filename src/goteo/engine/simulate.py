"""What one contact would receive, computed by the real engine on a virtual clock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from goteo.engine.advance import ContactView, Send, advance
from goteo.engine.model import Campaign
from goteo.engine.state import EnrollmentState

STATUS_EVENTS = {"unsubscribed": "unsubscribed", "bounced": "bounced"}


@dataclass(frozen=True)
class ContactEvent:
    at: datetime
    name: str


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # "send", "event" or "end"
    send: Send | None = None
    detail: str = ""


def simulate(
    campaign: Campaign,
    contact: ContactView,
    start: datetime,
    days: float,
    events: Iterable[ContactEvent] = (),
) -> list[Entry]:
    """The timeline from ``start`` for ``days``; sends nothing and touches no database."""
    end = start + timedelta(days=days)
    pending = sorted(events, key=lambda e: e.at)
    state = EnrollmentState.start(campaign.first_step_id)
    timeline: list[Entry] = []
    now = start
    while now <= end:
        while pending and pending[0].at <= now:
            event = pending.pop(0)
            timeline.append(Entry(event.at, "event", detail=event.name))
            if event.name in STATUS_EVENTS:
                contact = replace(contact, status=STATUS_EVENTS[event.name])
        outcome = advance(campaign, state, contact, now)
        state = outcome.state
        timeline.extend(Entry(now, "send", send=c) for c in outcome.commands)
        if state.status != "active":
            timeline.append(Entry(now, "end", detail=f"{state.status}: {state.end_reason}"))
            break
        # An active state always waits for a moment after ``now`` (a wait or a window).
        assert state.wake_at is not None and state.wake_at > now
        now = min(state.wake_at, pending[0].at) if pending else state.wake_at
    return timeline
