"""The heart of the engine: ``advance(campaign, state, contact, now) -> Outcome``.

Pure: no I/O, no Django, no clock reads. The same function runs in the worker, the simulator
and the property tests. The contact's facts (fields and recent events) come in with the call;
the goal and the exit conditions are looked at on every call, wherever the journey is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime

from goteo.engine import locales
from goteo.engine.commands import (
    AddScore,
    CallWebhook,
    Command,
    Notify,
    Send,
    Update,
    updated_fields,
)
from goteo.engine.condition_text import describe, describe_where
from goteo.engine.conditions import EventRecord, Facts, evaluate, matches_where
from goteo.engine.decisions import Decision
from goteo.engine.durations import format_duration
from goteo.engine.exposure_pacing import RECHECK, Finished, PaceFacts, plan_touch
from goteo.engine.model import Campaign, Goal
from goteo.engine.split_winners import decided_split
from goteo.engine.state import ACTIVE, COMPLETED, CONVERTED, EXITED, EnrollmentState
from goteo.engine.steps import (
    BranchStep,
    ExitStep,
    NotifyStep,
    ScoreStep,
    SendStep,
    SplitStep,
    Step,
    TouchStep,
    UpdateStep,
    WaitForStep,
    WaitStep,
    WebhookStep,
)
from goteo.engine.window import zone

__all__ = ["Command", "ContactView", "Outcome", "Send", "advance"]


@dataclass(frozen=True)
class ContactView:
    """What the engine may know about a contact: status, language, zone, and its facts."""

    status: str = "active"
    locale: str | None = None
    timezone: str | None = None
    facts: Facts = field(default_factory=lambda: Facts(fields={}))
    # A paced journey's touches as the store knows them; None: each touch counts once made.
    pace: PaceFacts | None = None
    # The in-home date of the journey's most recent mailer (midnight UTC), when one is known.
    in_home: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    state: EnrollmentState
    commands: list[Command] = field(default_factory=list)
    # The commands and the decisions in the order they were made, for the simulator.
    trace: list[Command | Decision] = field(default_factory=list, compare=False)
    last_step: str | None = field(default=None, compare=False)  # where the walk stopped


def advance(
    campaign: Campaign, state: EnrollmentState, contact: ContactView, now: datetime
) -> Outcome:
    """Run every step that is due at ``now``; stop at the first wait, window or end."""
    if state.status != ACTIVE:
        return Outcome(state)
    if contact.status != "active":
        return Outcome(state.ended(EXITED, f"contact {contact.status}"))
    ended = _goal_or_exit(campaign, state, contact.facts, now)
    if ended is not None:
        return Outcome(ended)
    return _Run(campaign, contact, now).walk(state)


def _goal_or_exit(
    campaign: Campaign, state: EnrollmentState, facts: Facts, now: datetime
) -> EnrollmentState | None:
    if campaign.goal is not None and _goal_reached(campaign.goal, state, facts, now):
        return state.ended(CONVERTED, f"goal: {campaign.goal.event}")
    if campaign.exit_when is not None and evaluate(campaign.exit_when, facts, now):
        return state.ended(EXITED, "exit condition met")
    return None


def _trigger_id(state: EnrollmentState) -> int | None:
    """The id of the event that started the journey: it is never its own goal or answer."""
    found = (state.event or {}).get("id")
    return found if isinstance(found, int) else None


def _goal_reached(goal: Goal, state: EnrollmentState, facts: Facts, now: datetime) -> bool:
    start, trigger = state.started_at, _trigger_id(state)
    for event in facts.events:
        if event.name != goal.event or event.occurred_at > now:
            continue
        if trigger is not None and event.id == trigger:
            continue
        if start is not None and event.occurred_at < start:
            continue
        if (
            goal.within is not None
            and start is not None
            and event.occurred_at > start + goal.within
        ):
            continue
        if goal.where is None or matches_where(goal.where, event.properties):
            return True
    return False


def _happened(step: WaitForStep, state: EnrollmentState, facts: Facts, now: datetime) -> bool:
    since, trigger = state.since, _trigger_id(state)

    def counts(event: EventRecord) -> bool:
        if event.name != step.event or event.occurred_at > now:
            return False
        if trigger is not None and event.id == trigger:
            return False
        if since is not None and event.occurred_at < since:
            return False
        return step.where is None or matches_where(step.where, event.properties)

    return any(counts(e) for e in facts.events)


def split_choice(step: SplitStep, seed: int) -> str:
    """The variant for this journey: uniform by weight across seeds, stable for one seed."""
    digest = hashlib.sha256(f"{seed}:{step.id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % step.total_weight
    for variant in step.variants:
        if point < variant.weight:
            return variant.name
        point -= variant.weight
    raise AssertionError("weights are positive")


class _Run:
    """One call of ``advance``: walks the steps that are due, collecting commands."""

    def __init__(self, campaign: Campaign, contact: ContactView, now: datetime) -> None:
        self.campaign = campaign
        self.contact = contact
        self.facts = contact.facts
        self.now = now
        self.commands: list[Command] = []
        self.trace: list[Command | Decision] = []
        self.at: str | None = None

    def walk(self, state: EnrollmentState) -> Outcome:
        # Validated campaigns have no loops, so one pass visits each step at most once.
        for _ in range(len(self.campaign.steps) + 1):
            if state.position is None:
                return self._done(state.ended(COMPLETED, "completed"))
            step = self.campaign.step(state.position)
            self.at = step.id
            result = self._step(step, state)
            if result is None:  # waiting: stays where it is until woken
                return self._done(state)
            state = result
            if state.status != ACTIVE or state.wake_at is not None:
                return self._done(state)
        raise RuntimeError(f"campaign {self.campaign.key!r} did not settle; does it loop?")

    def _done(self, state: EnrollmentState) -> Outcome:
        return Outcome(state, self.commands, self.trace, self.at)

    def _command(self, command: Command) -> None:
        self.commands.append(command)
        self.trace.append(command)

    def _go(
        self, state: EnrollmentState, step: Step, target: str | None, way: str, why: str
    ) -> EnrollmentState:
        """Move to ``target`` (None: the step below), noting which ``way`` it went and ``why``."""
        position = self.campaign.resolve(step, target)
        to = repr(position) if position is not None else "the end"
        kind = {BranchStep: "branch", SplitStep: "split"}.get(type(step), "wait_for")
        self.trace.append(Decision(step.id, kind, f"{way} -> {to}: {why}"))
        return state.moved(position, step.id)

    def _step(self, step: Step, state: EnrollmentState) -> EnrollmentState | None:
        """The state after ``step`` ran; a state with ``wake_at`` set is waiting."""
        now, campaign = self.now, self.campaign
        if isinstance(step, ExitStep):
            return state.ended(EXITED, step.reason)
        if isinstance(step, WaitStep):
            if state.wake_at is None:
                return replace(state, wake_at=now + step.duration)
            if now < state.wake_at:
                return None
            if step.after_in_home and self.contact.in_home is not None:
                # The mailer went out just before: its in-home date is known only now. No
                # date (the mailer was skipped or failed): the plain duration, already over.
                until = self.contact.in_home + step.duration
                if now < until:
                    return replace(state, wake_at=until)
            return state.moved(campaign.successor(step), step.id)
        if isinstance(step, WaitForStep):
            return self._wait_for(step, state)
        if isinstance(step, BranchStep):
            taken = evaluate(step.condition, self.facts, now)
            why = f"{describe(step.condition)} {'holds' if taken else 'does not hold'}"
            if taken:
                return self._go(state, step, step.then, "then", why)
            return self._go(state, step, step.otherwise, "else", why)
        if isinstance(step, SplitStep):
            return self._split(step, state)
        if isinstance(step, SendStep):
            return self._send(step, state)
        if isinstance(step, TouchStep):
            return self._touch(step, state)
        return self._effect(step, state)

    def _wait_for(self, step: WaitForStep, state: EnrollmentState) -> EnrollmentState | None:
        if state.wake_at is None:  # just arrived: start the timeout
            return replace(state, wake_at=self.now + step.timeout, since=self.now)
        event = f"event {step.event}{describe_where(step.where)}"
        if _happened(step, state, self.facts, self.now):
            return self._go(state, step, step.then, "then", f"{event} happened")
        if self.now >= state.wake_at:
            waited = f"no {event} within {format_duration(step.timeout)}"
            return self._go(state, step, step.otherwise, "else", waited)
        return None

    def _split(self, step: SplitStep, state: EnrollmentState) -> EnrollmentState:
        drawn = decided_split(step)
        name = state.variants.get(step.id) or split_choice(drawn, state.seed)
        # A journey that drew before the split was decided keeps its variant.
        variant = next(v for v in (*drawn.variants, *step.variants) if v.name == name)
        state = state.chose(step.id, name)
        chosen = f"variant {name} (weight {variant.weight} of {drawn.total_weight})"
        if step.decided is not None:
            chosen = f"{chosen}, the split being decided for {step.decided}"
        if variant.holdout:
            self.trace.append(Decision(step.id, "split", f"{chosen}: a holdout, sent nothing"))
            return state.ended(EXITED, f"holdout ({step.id})")
        return self._go(state, step, variant.next, chosen, "drawn by the journey's seed")

    def _send(self, step: SendStep, state: EnrollmentState) -> EnrollmentState | None:
        opening = self._window_opening()
        if opening > self.now:
            return replace(state, wake_at=opening)
        locale = self._locale(step.template)
        self._command(Send(step.id, step.channel, step.template, locale, step.coupon, step.account))
        return state.moved(self.campaign.successor(step), step.id)

    def _touch(self, step: TouchStep, state: EnrollmentState) -> EnrollmentState:
        """One paced touch when it is due, else a wake-up for when to look again."""
        pacing, now = self.campaign.pacing, self.now
        assert pacing is not None  # validation requires it
        if state.touches_began is None:  # the touches begin
            state = replace(state, touches_began=now)
        began = state.touches_began
        assert began is not None
        facts = self.contact.pace
        if facts is None:
            facts = PaceFacts(frozenset(pacing.channels), delivered=sum(state.touches.values()))
        plan = plan_touch(pacing, began, now, facts, state.touches)
        if isinstance(plan, Finished):
            self.trace.append(Decision(step.id, "pacing", plan.reason))
            return state.moved(self.campaign.successor(step), step.id)
        opening = self._window_opening()
        if plan.at > now or opening > now:
            return replace(state, wake_at=max(plan.at, opening))
        sent = state.touches.get(plan.channel, 0)
        template = step.template(plan.channel, sent)
        number = sum(state.touches.values()) + 1
        locale = self._locale(template)
        self._command(Send(f"{step.id}.{number}", plan.channel, template, locale, touch=number))
        state = state.touched(plan.channel)
        after = replace(facts, delivered=facts.delivered + (self.contact.pace is None))
        # The one just written waits in the outbox until the worker sends it.
        if self.contact.pace is not None:
            after = replace(after, waiting_until=now)
        following = plan_touch(pacing, began, now, after, state.touches)
        if isinstance(following, Finished):
            self.trace.append(Decision(step.id, "pacing", following.reason))
            return state.moved(self.campaign.successor(step), step.id)
        return replace(state, wake_at=max(following.at, now + RECHECK))

    def _window_opening(self) -> datetime:
        window = self.campaign.window
        if window is None:
            return self.now
        return window.next_open(self.now, zone(self.contact.timezone, self.campaign.timezone))

    def _locale(self, template: str) -> str:
        campaign = self.campaign
        return locales.resolve(
            self.contact.locale, campaign.locales(template), campaign.default_locale
        )

    def _effect(
        self, step: UpdateStep | ScoreStep | NotifyStep | WebhookStep, state: EnrollmentState
    ) -> EnrollmentState:
        """Steps that change the contact or tell someone: they never wait."""
        command: Command
        if isinstance(step, UpdateStep):
            command = Update(step.id, step.attributes, step.add_tags, step.remove_tags)
        elif isinstance(step, ScoreStep):
            command = AddScore(step.id, step.points)
        elif isinstance(step, NotifyStep):
            command = Notify(step.id, step.to, step.template, self._locale(step.template))
        else:
            command = CallWebhook(step.id, step.url)
        self._command(command)
        self.facts = replace(self.facts, fields=updated_fields(self.facts.fields, command))
        return state.moved(self.campaign.successor(step), step.id)
