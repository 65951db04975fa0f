"""The heart of the engine: ``advance(campaign, state, contact, now) -> Outcome``.

Pure: no I/O, no Django, no clock reads. The same function runs in the worker, the simulator
and the property tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from goteo.engine import locales
from goteo.engine.model import Campaign, ExitStep, SendStep, WaitStep
from goteo.engine.state import ACTIVE, COMPLETED, EXITED, EnrollmentState
from goteo.engine.window import zone


@dataclass(frozen=True)
class ContactView:
    """What the engine may know about a contact."""

    status: str = "active"
    locale: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class Send:
    """Command: deliver ``template`` on ``channel`` in ``locale``; ``step_id`` makes it unique."""

    step_id: str
    channel: str
    template: str
    locale: str


Command = Send


@dataclass(frozen=True)
class Outcome:
    state: EnrollmentState
    commands: list[Command] = field(default_factory=list)


def advance(
    campaign: Campaign, state: EnrollmentState, contact: ContactView, now: datetime
) -> Outcome:
    """Run every step that is due at ``now``; stop at the first wait, window or end."""
    if state.status != ACTIVE:
        return Outcome(state)
    if contact.status != "active":
        return Outcome(state.ended(EXITED, f"contact {contact.status}"))
    if state.wake_at is not None and now < state.wake_at:
        return Outcome(state)
    commands: list[Command] = []
    tz = zone(contact.timezone, campaign.timezone)
    # Validated campaigns have no loops, so one pass visits each step at most once.
    for _ in range(len(campaign.steps) + 1):
        if state.position is None:
            return Outcome(state.ended(COMPLETED, "completed"), commands)
        step = campaign.step(state.position)
        if isinstance(step, ExitStep):
            return Outcome(state.ended(EXITED, step.reason), commands)
        if isinstance(step, WaitStep):
            if state.wake_at is None:
                return Outcome(_wait_until(state, now + step.duration), commands)
            state = state.moved(campaign.successor(step), step.id)
            continue
        if isinstance(step, SendStep):
            if campaign.window is not None:
                opening = campaign.window.next_open(now, tz)
                if opening > now:
                    return Outcome(_wait_until(state, opening), commands)
            locale = locales.resolve(
                contact.locale, campaign.locales(step.template), campaign.default_locale
            )
            commands.append(Send(step.id, step.channel, step.template, locale))
            state = state.moved(campaign.successor(step), step.id)
    raise RuntimeError(f"campaign {campaign.key!r} did not settle; does it loop?")


def _wait_until(state: EnrollmentState, when: datetime) -> EnrollmentState:
    return replace(state, wake_at=when)
