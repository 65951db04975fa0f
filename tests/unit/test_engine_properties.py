"""Properties of advance() over generated campaigns, contacts and worker schedules.

The worker is modelled as a list of looks at the enrollment: exactly at its wake time, late,
early (possibly before the wake time), or again at the same moment. After the schedule, the
worker keeps looking exactly at each wake time until the enrollment ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, note, settings
from hypothesis import strategies as st
from tests.unit.campaign_strategies import (
    ZONES,
    Look,
    campaigns,
    contacts,
    moments,
    schedules,
    to_document,
)

from goteo.engine.advance import ContactView, Outcome, Send, advance
from goteo.engine.model import Campaign, ExitStep, SendStep, WaitStep
from goteo.engine.parser import parse_campaign
from goteo.engine.reachability import unreachable_steps
from goteo.engine.simulate import ContactEvent, simulate
from goteo.engine.state import ACTIVE, COMPLETED, EXITED, EnrollmentState

PROPERTY = settings(max_examples=200, deadline=None)
MAX_LOOKS = 400


@dataclass(frozen=True)
class Call:
    now: datetime
    contact: ContactView
    before: EnrollmentState
    outcome: Outcome


@dataclass
class Run:
    campaign: Campaign
    state: EnrollmentState
    first_look: datetime | None = None
    calls: list[Call] = field(default_factory=list)
    sends: list[tuple[datetime, Send]] = field(default_factory=list)
    ran_at: dict[str, datetime] = field(default_factory=dict)


def drive(
    campaign: Campaign,
    contact_at: Callable[[datetime], ContactView],
    start: datetime,
    schedule: list[Look],
    *,
    finish: bool = True,
) -> Run:
    """Run one enrollment: the schedule's looks, then (if ``finish``) a punctual worker."""
    run = Run(campaign, EnrollmentState.start(campaign.first_step_id))
    now = start

    def look(at: datetime) -> None:
        if run.first_look is None:
            run.first_look = at
        contact = contact_at(at)
        outcome = advance(campaign, run.state, contact, at)
        run.calls.append(Call(at, contact, run.state, outcome))
        for command in outcome.commands:
            assert isinstance(command, Send), command  # the generated campaigns only send
            run.sends.append((at, command))
        for step_id in outcome.state.steps_run[len(run.state.steps_run) :]:
            assert step_id not in run.ran_at, f"{step_id} ran twice"
            run.ran_at[step_id] = at
        run.state = outcome.state

    def due() -> datetime:
        return max(now, run.state.wake_at or now)

    for move in schedule:
        if run.state.status != ACTIVE:
            break
        if move.kind == "wake":
            now = due()
        elif move.kind == "late":
            now = due() + timedelta(seconds=move.seconds)
        elif move.kind == "early":
            now = now + timedelta(seconds=move.seconds)
        look(now)
    while finish and run.state.status == ACTIVE and len(run.calls) < MAX_LOOKS:
        now = due()
        look(now)
    return run


def always(contact: ContactView) -> Callable[[datetime], ContactView]:
    return lambda _now: contact


def path_of(campaign: Campaign) -> list[str]:
    """The steps an enrollment goes through, in order (the journey has no branches)."""
    path: list[str] = []
    current = campaign.first_step_id
    while current is not None:
        path.append(current)
        current = campaign.successor(campaign.step(current))
    return path


def expected_zone(contact: ContactView, campaign: Campaign) -> ZoneInfo:
    for name in (contact.timezone, campaign.timezone):
        if name is not None and name in ZONES:
            return ZoneInfo(name)
    return ZoneInfo("UTC")


def describe(run: Run) -> None:
    note(to_document(run.campaign))
    for call in run.calls:
        note(f"{call.now.isoformat()} {call.contact.status}: {call.outcome}")


# -- (a) at most one Send per step ---------------------------------------------------------


@PROPERTY
@given(campaigns(), contacts, moments, schedules)
def test_each_step_is_sent_at_most_once(
    campaign: Campaign, contact: ContactView, start: datetime, schedule: list[Look]
) -> None:
    run = drive(campaign, always(contact), start, schedule, finish=False)
    describe(run)

    sent = [send.step_id for _, send in run.sends]
    assert len(sent) == len(set(sent))


# -- (b) every due step eventually runs ------------------------------------------------------


@PROPERTY
@given(campaigns(), contacts, moments, schedules)
def test_every_reachable_send_is_sent_exactly_once(
    campaign: Campaign, contact: ContactView, start: datetime, schedule: list[Look]
) -> None:
    run = drive(campaign, always(contact), start, schedule)
    describe(run)
    path = path_of(campaign)
    reachable = {campaign.steps[i].id for i in range(len(campaign.steps))} - {
        campaign.steps[i].id for i in unreachable_steps(campaign.steps)
    }
    last = campaign.step(path[-1])

    assert run.state.status in (COMPLETED, EXITED)
    assert set(path) <= reachable
    assert [send.step_id for _, send in run.sends] == [
        s for s in path if isinstance(campaign.step(s), SendStep)
    ]
    assert run.state.steps_run == tuple(
        s for s in path if not isinstance(campaign.step(s), ExitStep)
    )
    if isinstance(last, ExitStep):
        assert (run.state.status, run.state.end_reason) == (EXITED, last.reason)
    else:
        assert (run.state.status, run.state.end_reason) == (COMPLETED, "completed")
    for _, send in run.sends:
        step = campaign.step(send.step_id)
        assert isinstance(step, SendStep)
        assert (send.channel, send.template) == (step.channel, step.template)
        assert send.locale in campaign.locales(step.template)


# -- (c) nothing is sent to a contact who left ------------------------------------------------


@PROPERTY
@given(
    campaigns(),
    contacts,
    moments,
    schedules,
    st.integers(min_value=0, max_value=40 * 86400),
    st.sampled_from(("unsubscribed", "bounced")),
)
def test_nothing_is_sent_after_the_contact_leaves(
    campaign: Campaign,
    contact: ContactView,
    start: datetime,
    schedule: list[Look],
    leaves_after: int,
    status: str,
) -> None:
    left_at = start + timedelta(seconds=leaves_after)
    gone = replace(contact, status=status)
    run = drive(campaign, lambda now: gone if now >= left_at else contact, start, schedule)
    describe(run)

    assert all(at < left_at for at, _ in run.sends)
    assert run.state.status in (COMPLETED, EXITED)
    ending = next(c for c in run.calls if c.outcome.state.status != ACTIVE)
    if ending.now >= left_at:
        assert ending.outcome.state.status == EXITED
        assert ending.outcome.state.end_reason == f"contact {status}"
        assert ending.outcome.commands == []


# -- (d) every send is inside the window, on the contact's clock ------------------------------


@PROPERTY
@given(campaigns(), contacts, moments, schedules)
def test_every_send_is_inside_the_window(
    campaign: Campaign, contact: ContactView, start: datetime, schedule: list[Look]
) -> None:
    run = drive(campaign, always(contact), start, schedule)
    describe(run)
    tz = expected_zone(contact, campaign)

    if campaign.window is not None:
        for at, _ in run.sends:
            assert campaign.window.contains(at, tz), at.astimezone(tz)


# -- (e) idempotent at a given moment ------------------------------------------------------


@PROPERTY
@given(campaigns(), contacts, moments, schedules)
def test_advance_twice_at_the_same_moment_does_nothing_more(
    campaign: Campaign, contact: ContactView, start: datetime, schedule: list[Look]
) -> None:
    run = drive(campaign, always(contact), start, schedule)
    describe(run)

    for call in run.calls:
        repeat = advance(campaign, call.outcome.state, call.contact, call.now)
        assert repeat.commands == []
        assert repeat.state == call.outcome.state


@PROPERTY
@given(campaigns(), contacts, moments, schedules)
def test_an_active_enrollment_always_wakes_in_the_future(
    campaign: Campaign, contact: ContactView, start: datetime, schedule: list[Look]
) -> None:
    run = drive(campaign, always(contact), start, schedule)

    for call in run.calls:
        state = call.outcome.state
        if state.status == ACTIVE:
            assert state.wake_at is not None and state.wake_at > call.now
            assert state.due_at(call.now) == state.wake_at
        else:
            assert (state.position, state.wake_at, state.due_at(call.now)) == (None, None, None)


# -- (f) waiting is honoured ---------------------------------------------------------------


def _began_at(run: Run, path: list[str]) -> list[datetime]:
    """When each step on the path became the current one."""
    assert run.first_look is not None
    return ([run.first_look] + [run.ran_at[s] for s in path[:-1]]) if path else []


@PROPERTY
@given(campaigns(), contacts, moments, schedules)
def test_waits_are_never_cut_short(
    campaign: Campaign, contact: ContactView, start: datetime, schedule: list[Look]
) -> None:
    run = drive(campaign, always(contact), start, schedule)
    describe(run)
    path = [s for s in path_of(campaign) if s in run.ran_at]
    began = _began_at(run, path) if path else []

    for j, step_id in enumerate(path):
        waited = timedelta(0)
        for i in range(j, -1, -1):
            step = campaign.step(path[i])
            if isinstance(step, WaitStep):
                waited += step.duration
            # from the moment step i became current, at least the waits since have passed
            assert run.ran_at[step_id] >= began[i] + waited


@PROPERTY
@given(campaigns(), contacts, moments)
def test_a_punctual_worker_runs_each_step_as_soon_as_allowed(
    campaign: Campaign, contact: ContactView, start: datetime
) -> None:
    run = drive(campaign, always(contact), start, [])
    describe(run)
    tz = expected_zone(contact, campaign)
    path = [s for s in path_of(campaign) if not isinstance(campaign.step(s), ExitStep)]

    for step_id, began in zip(path, _began_at(run, path), strict=True):
        step = campaign.step(step_id)
        if isinstance(step, WaitStep):
            assert run.ran_at[step_id] == began + step.duration
        elif campaign.window is None:
            assert run.ran_at[step_id] == began
        else:
            opening = campaign.window.next_open(began, tz)
            assert run.ran_at[step_id] >= opening
            if campaign.window.contains(opening, tz):
                assert run.ran_at[step_id] == opening


# -- the simulator and the format agree with the engine ---------------------------------------


@PROPERTY
@given(campaigns(), contacts, moments)
def test_simulate_matches_a_punctual_worker(
    campaign: Campaign, contact: ContactView, start: datetime
) -> None:
    run = drive(campaign, always(contact), start, [])
    assert run.calls
    horizon = (run.calls[-1].now - start) / timedelta(days=1) + 1

    timeline = simulate(campaign, contact, start, days=horizon)

    assert [(e.at, e.send) for e in timeline if e.kind == "send"] == run.sends
    assert timeline[-1].kind == "end"
    assert timeline[-1].detail.startswith(run.state.status)
    reason = run.state.end_reason or ""
    assert reason in ("completed", "exit step") or reason.removeprefix("goal: ") in (
        timeline[-1].detail
    )


@PROPERTY
@given(
    campaigns(),
    contacts,
    moments,
    st.integers(min_value=0, max_value=20 * 86400),
    st.sampled_from(("unsubscribed", "bounced")),
)
def test_simulate_sends_nothing_after_a_status_event(
    campaign: Campaign, contact: ContactView, start: datetime, after: int, status: str
) -> None:
    at = start + timedelta(seconds=after)

    timeline = simulate(campaign, contact, start, days=60, events=[ContactEvent(at, status)])

    assert all(e.at < at for e in timeline if e.kind == "send")
    if any(e.kind == "event" for e in timeline):
        assert timeline[-1].kind == "end"


@PROPERTY
@given(campaigns())
def test_the_document_of_a_campaign_parses_back_to_it(campaign: Campaign) -> None:
    assume(not unreachable_steps(campaign.steps))
    text = to_document(campaign)
    note(text)

    assert parse_campaign(text) == campaign
