"""What one contact would receive, computed by the real engine on a virtual clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from goteo.engine.advance import ContactView, advance
from goteo.engine.commands import (
    AddScore,
    CallWebhook,
    Command,
    Notify,
    Send,
    Update,
    updated_fields,
)
from goteo.engine.conditions import EventRecord
from goteo.engine.decisions import Decision
from goteo.engine.model import Campaign, ExitStep
from goteo.engine.state import COMPLETED, CONVERTED, EnrollmentState

STATUS_EVENTS = {"unsubscribed": "unsubscribed", "bounced": "bounced"}
# A mailer's typical transit, for ``wait: {after: in_home}``: in home this many days after.
MAIL_TRANSIT = timedelta(days=5)
KINDS = {"Send": "send", "Update": "update", "AddScore": "score", "Notify": "notify"}


@dataclass(frozen=True)
class ContactEvent:
    at: datetime
    name: str
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    at: datetime
    # "send", "touch" (a paced touch: engine/exposure_pacing.py), "update", "score",
    # "notify", "webhook", a decision ("branch", "split", "wait_for", "pacing"), "event"
    # or "end"
    kind: str
    send: Send | None = None
    detail: str = ""
    command: Command | None = None  # the other commands (update, score, notify, webhook)
    step_id: str = ""  # the step of a command or a decision


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
        for item in outcome.trace:
            if isinstance(item, Decision):
                timeline.append(Entry(now, item.kind, detail=item.detail, step_id=item.step_id))
                continue
            timeline.append(_entry(now, item))
            contact = _after_command(contact, item)
            if isinstance(item, Send) and item.channel == "mail":
                arrives = datetime.combine((now + MAIL_TRANSIT).date(), time(), tzinfo=UTC)
                contact = replace(contact, in_home=arrives)
        if state.status != "active":
            timeline.append(Entry(now, "end", detail=ending(campaign, state, outcome.last_step)))
            break
        # An active state always waits for a moment after ``now`` (a wait or a window).
        assert state.wake_at is not None and state.wake_at > now
        now = min(state.wake_at, pending[0].at) if pending else state.wake_at
    return timeline


def ending(campaign: Campaign, state: EnrollmentState, last_step: str | None) -> str:
    """How the journey ended, as a person would say it."""
    reason = state.end_reason or ""
    if state.status == COMPLETED:
        return f"completed: ran its last step, {last_step!r}" if last_step else "completed"
    if state.status == CONVERTED and reason.startswith("goal: "):
        return f"converted: reached its goal ({reason.removeprefix('goal: ')})"
    if last_step is not None and isinstance(campaign.step(last_step), ExitStep):
        said = "" if reason == ExitStep.reason else f": {reason}"
        return f"exited at exit step {last_step!r}{said}"
    return f"{state.status}: {reason}"


def _entry(now: datetime, command: Command) -> Entry:
    if isinstance(command, Send):
        kind = "touch" if command.touch else "send"
        return Entry(now, kind, send=command, step_id=command.step_id)
    kind = KINDS.get(type(command).__name__, "webhook")
    detail = _what(command)
    return Entry(now, kind, detail=detail, command=command, step_id=command.step_id)


def _what(command: Update | AddScore | Notify | CallWebhook) -> str:
    """What a step that never waits did, in a few words."""
    if isinstance(command, Update):
        parts = [f"set {k}={v!r}" for k, v in command.attributes.items()]
        parts += [f"add tag {t}" for t in command.add_tags]
        parts += [f"remove tag {t}" for t in command.remove_tags]
        return ", ".join(parts)
    if isinstance(command, AddScore):
        return f"{command.points:+g} points"
    if isinstance(command, Notify):
        return f"email {command.to} ({command.template})"
    return f"POST {command.url}"


def _after_event(contact: ContactView, event: ContactEvent) -> ContactView:
    if event.name in STATUS_EVENTS:
        return replace(contact, status=STATUS_EVENTS[event.name])
    record = EventRecord(event.name, dict(event.properties), event.at)
    return replace(contact, facts=replace(contact.facts, events=(*contact.facts.events, record)))


def _after_command(contact: ContactView, command: Command) -> ContactView:
    """Updates and points change what later decisions see, as they do in the database; a
    paced touch is delivered at once."""
    fields = updated_fields(contact.facts.fields, command)
    pace = contact.pace
    if pace is not None and isinstance(command, Send) and command.touch:
        pace = replace(pace, delivered=pace.delivered + 1)
    return replace(contact, facts=replace(contact.facts, fields=fields), pace=pace)
