"""advance(): one enrollment moving through its campaign on an injected clock."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from goteo.engine.advance import ContactView, Outcome, Send, advance
from goteo.engine.clock import ManualClock
from goteo.engine.model import Campaign, Reentry, SendStep, TemplateVariant, Trigger
from goteo.engine.parser import parse_campaign
from goteo.engine.simulate import ContactEvent, Entry, simulate
from goteo.engine.state import ACTIVE, COMPLETED, EXITED, STATE_VERSION, EnrollmentState

MADRID = ZoneInfo("Europe/Madrid")
T0 = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)  # a Monday

TEMPLATES = """\
templates:
  welcome:
    en: {subject: "Welcome", html: "<p>Welcome</p>"}
    fr: {subject: "Bienvenue", html: "<p>Bienvenue</p>"}
    fr_CA: {subject: "Bienvenue!", html: "<p>Bienvenue!</p>"}
    es: {subject: "Bienvenido", html: "<p>Bienvenido</p>"}
  nudge:
    en: {subject: "Still there?", html: "<p>Psst</p>"}
  offer:
    en: {subject: "10% off", html: "<p>Offer</p>"}
"""

THREE_STEPS = (
    """\
key: three
steps:
  - send: email
    template: welcome
  - wait: 2d
  - send: email
    template: nudge
"""
    + TEMPLATES
)


def campaign(text: str = THREE_STEPS) -> Campaign:
    return parse_campaign(text)


def with_window(window: str, timezone: str = "Europe/Madrid") -> Campaign:
    return parse_campaign(f"window: {window}\ntimezone: {timezone}\n" + THREE_STEPS)


def start(c: Campaign) -> EnrollmentState:
    return EnrollmentState.start(c.first_step_id)


def first_send(outcome: Outcome) -> Send:
    command = outcome.commands[0]
    assert isinstance(command, Send), command
    return command


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MADRID)


ANYONE = ContactView()


# -- the three-step journey ---------------------------------------------------------------


def test_send_wait_send_on_a_manual_clock() -> None:
    c = campaign()
    clock = ManualClock(T0)

    first = advance(c, start(c), ANYONE, clock.now())

    assert first.commands == [Send("step-1", "email", "welcome", "en")]
    assert first.state.status == ACTIVE
    assert first.state.position == "step-2"
    assert first.state.wake_at == T0 + timedelta(days=2)
    assert first.state.due_at(clock.now()) == T0 + timedelta(days=2)

    clock.advance(timedelta(days=1, hours=23, minutes=59))
    early = advance(c, first.state, ANYONE, clock.now())
    assert early == Outcome(first.state)

    clock.set(T0 + timedelta(days=2))
    second = advance(c, early.state, ANYONE, clock.now())

    assert second.commands == [Send("step-3", "email", "nudge", "en")]
    assert second.state.status == COMPLETED
    assert second.state.end_reason == "completed"
    assert second.state.position is None
    assert second.state.wake_at is None
    assert second.state.steps_run == ("step-1", "step-2", "step-3")
    assert second.state.due_at(clock.now()) is None


def test_a_late_worker_sends_once_when_it_finally_looks() -> None:
    c = campaign()
    first = advance(c, start(c), ANYONE, T0)

    late = advance(c, first.state, ANYONE, T0 + timedelta(days=9))
    again = advance(c, late.state, ANYONE, T0 + timedelta(days=9))

    assert late.commands == [Send("step-3", "email", "nudge", "en")]
    assert again == Outcome(late.state)


def test_ended_enrollment_stays_ended() -> None:
    c = campaign()
    done = advance(c, advance(c, start(c), ANYONE, T0).state, ANYONE, T0 + timedelta(days=2))

    for later in (timedelta(0), timedelta(days=1), timedelta(days=365)):
        assert advance(c, done.state, ANYONE, T0 + later) == Outcome(done.state)


def test_campaign_that_starts_with_a_wait() -> None:
    c = campaign(THREE_STEPS.replace("steps:\n", "steps:\n  - wait: 30m\n"))

    first = advance(c, start(c), ANYONE, T0)
    assert first.commands == []
    assert first.state.wake_at == T0 + timedelta(minutes=30)

    second = advance(c, first.state, ANYONE, T0 + timedelta(minutes=30))
    assert second.commands == [Send("step-2", "email", "welcome", "en")]


def test_consecutive_waits_add_up() -> None:
    c = campaign(
        THREE_STEPS.replace("  - wait: 2d\n", "  - wait: 1d\n  - wait: 12h\n  - wait: 2d\n")
    )
    first = advance(c, start(c), ANYONE, T0)

    after_first_wait = advance(c, first.state, ANYONE, T0 + timedelta(days=1))
    assert after_first_wait.commands == []
    assert after_first_wait.state.wake_at == T0 + timedelta(days=1, hours=12)

    after_second = advance(c, after_first_wait.state, ANYONE, T0 + timedelta(days=1, hours=12))
    assert after_second.commands == []
    assert after_second.state.wake_at == T0 + timedelta(days=3, hours=12)


# -- windows ------------------------------------------------------------------------------


def test_window_delays_the_first_send_to_the_next_opening() -> None:
    c = with_window('{days: [mon, tue, wed, thu, fri], hours: "09:00-18:00"}')
    saturday = local(2024, 1, 20, 11)

    held = advance(c, start(c), ANYONE, saturday)

    assert held.commands == []
    assert held.state.position == "step-1"
    assert held.state.wake_at == local(2024, 1, 22, 9)

    assert advance(c, held.state, ANYONE, local(2024, 1, 22, 8, 59)).commands == []
    sent = advance(c, held.state, ANYONE, local(2024, 1, 22, 9))
    assert sent.commands == [Send("step-1", "email", "welcome", "en")]
    assert sent.state.wake_at == local(2024, 1, 24, 9)


def test_wait_ending_outside_the_window_holds_the_send() -> None:
    c = with_window('{days: [mon, tue, wed, thu, fri], hours: "09:00-18:00"}')
    thursday = local(2024, 1, 18, 17)

    first = advance(c, start(c), ANYONE, thursday)
    assert first.state.wake_at == local(2024, 1, 20, 17)  # a Saturday

    held = advance(c, first.state, ANYONE, local(2024, 1, 20, 17))
    assert held.commands == []
    assert held.state.position == "step-3"
    assert held.state.wake_at == local(2024, 1, 22, 9)

    sent = advance(c, held.state, ANYONE, local(2024, 1, 22, 9))
    assert sent.commands == [Send("step-3", "email", "nudge", "en")]


def test_window_in_the_contacts_time_zone() -> None:
    c = with_window('{hours: "09:00-18:00"}')
    tokyo = ContactView(timezone="Asia/Tokyo")
    now = local(2024, 1, 15, 10)  # 18:00 in Tokyo: closed there

    held = advance(c, start(c), tokyo, now)

    assert held.commands == []
    assert held.state.wake_at == datetime(2024, 1, 16, 0, 0, tzinfo=UTC)  # 09:00 JST


def test_a_worker_that_wakes_after_the_window_closed_waits_again() -> None:
    c = with_window('{days: [mon], hours: "09:00-10:00"}')
    held = advance(c, start(c), ANYONE, local(2024, 1, 14, 12))
    assert held.state.wake_at == local(2024, 1, 15, 9)

    too_late = advance(c, held.state, ANYONE, local(2024, 1, 15, 10, 30))

    assert too_late.commands == []
    assert too_late.state.wake_at == local(2024, 1, 22, 9)


# -- contacts who left --------------------------------------------------------------------


@pytest.mark.parametrize("status", ["unsubscribed", "bounced", "complained"])
def test_contact_who_left_exits_without_a_send(status: str) -> None:
    c = campaign()
    gone = ContactView(status=status)

    outcome = advance(c, start(c), gone, T0)

    assert outcome.commands == []
    assert outcome.state.status == EXITED
    assert outcome.state.end_reason == f"contact {status}"
    assert outcome.state.steps_run == ()


@pytest.mark.parametrize("status", ["unsubscribed", "bounced"])
def test_contact_who_leaves_during_a_wait_exits_without_a_send(status: str) -> None:
    c = campaign()
    first = advance(c, start(c), ANYONE, T0)

    during = advance(c, first.state, ContactView(status=status), T0 + timedelta(days=1))
    after = advance(c, first.state, ContactView(status=status), T0 + timedelta(days=3))

    for outcome in (during, after):
        assert outcome.commands == []
        assert outcome.state.status == EXITED
        assert outcome.state.end_reason == f"contact {status}"
        assert outcome.state.steps_run == ("step-1",)


def test_contact_who_leaves_while_a_window_holds_the_send() -> None:
    c = with_window('{days: [mon], hours: "09:00-18:00"}')
    held = advance(c, start(c), ANYONE, local(2024, 1, 13, 12))
    assert held.state.wake_at == local(2024, 1, 15, 9)

    at_opening = advance(c, held.state, ContactView(status="unsubscribed"), local(2024, 1, 15, 9))

    assert at_opening.commands == []
    assert at_opening.state.status == EXITED


# -- exit and next ------------------------------------------------------------------------


def test_exit_step_ends_the_enrollment_with_its_reason() -> None:
    c = campaign(
        """\
key: exits
steps:
  - send: email
    template: welcome
  - exit: bought already
"""
        + TEMPLATES
    )

    outcome = advance(c, start(c), ANYONE, T0)

    assert outcome.commands == [Send("step-1", "email", "welcome", "en")]
    assert outcome.state.status == EXITED
    assert outcome.state.end_reason == "bought already"
    assert outcome.state.position is None


def test_exit_true_gives_a_default_reason() -> None:
    c = campaign(
        THREE_STEPS.replace("  - wait: 2d\n", "  - exit: true\n").replace(
            "  - send: email\n    template: nudge\n", ""
        )
    )

    outcome = advance(c, start(c), ANYONE, T0)

    assert outcome.state.status == EXITED
    assert outcome.state.end_reason == "exit step"


def test_next_jumps_to_the_named_step() -> None:
    c = campaign(
        """\
key: jumps
steps:
  - send: email
    template: welcome
    next: offer
  - id: nudge
    send: email
    template: nudge
  - id: bye
    exit: true
  - id: offer
    send: email
    template: offer
    next: nudge
"""
        + TEMPLATES
    )

    outcome = advance(c, start(c), ANYONE, T0)

    assert [s.step_id for s in outcome.commands] == ["step-1", "offer", "nudge"]
    assert outcome.state.steps_run == ("step-1", "offer", "nudge")
    assert outcome.state.status == EXITED


def test_next_on_a_wait() -> None:
    c = campaign(
        """\
key: jumps
steps:
  - id: pause
    wait: 1h
    next: last
  - id: bye
    exit: true
  - id: last
    send: email
    template: offer
    next: bye
"""
        + TEMPLATES
    )
    first = advance(c, start(c), ANYONE, T0)

    second = advance(c, first.state, ANYONE, T0 + timedelta(hours=1))

    assert second.commands == [Send("last", "email", "offer", "en")]
    assert second.state.steps_run == ("pause", "last")
    assert second.state.status == EXITED


# -- locales ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contact_locale", "chosen"),
    [
        ("fr-CA", "fr-ca"),
        ("fr_CA", "fr-ca"),
        ("FR-ca", "fr-ca"),
        ("fr-BE", "fr"),
        ("fr", "fr"),
        ("es-MX", "es"),
        ("pt-BR", "en"),
        ("de", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_send_locale_falls_back_from_region_to_language_to_default(
    contact_locale: str | None, chosen: str
) -> None:
    c = campaign()

    outcome = advance(c, start(c), ContactView(locale=contact_locale), T0)

    assert first_send(outcome).locale == chosen


def test_locale_fallback_is_per_template() -> None:
    c = campaign()
    first = advance(c, start(c), ContactView(locale="fr-CA"), T0)

    second = advance(c, first.state, ContactView(locale="fr-CA"), T0 + timedelta(days=2))

    assert first_send(first).locale == "fr-ca"
    assert first_send(second).locale == "en"  # nudge has no French variant


def test_campaign_default_locale_is_the_last_resort() -> None:
    c = campaign(
        THREE_STEPS.replace("key: three\n", "key: three\ndefault_locale: es\n")
        .replace("  nudge:\n    en:", "  nudge:\n    es:")
        .replace("  offer:\n    en:", "  offer:\n    es:")
    )

    outcome = advance(c, start(c), ContactView(locale="de-AT"), T0)

    assert first_send(outcome).locale == "es"


# -- state --------------------------------------------------------------------------------


def _states() -> list[EnrollmentState]:
    c = campaign()
    fresh = start(c)
    waiting = advance(c, fresh, ANYONE, T0).state
    done = advance(c, waiting, ANYONE, T0 + timedelta(days=2)).state
    gone = advance(c, waiting, ContactView(status="bounced"), T0).state
    madrid = EnrollmentState(ACTIVE, "step-3", local(2024, 7, 1, 9), None, ("step-1", "step-2"))
    return [fresh, waiting, done, gone, madrid]


@pytest.mark.parametrize("state", _states())
def test_state_json_round_trip(state: EnrollmentState) -> None:
    data = json.loads(json.dumps(state.to_json()))

    restored = EnrollmentState.from_json(data)

    assert restored == state
    assert data["v"] == STATE_VERSION
    if state.wake_at is not None:
        assert restored.wake_at is not None
        assert restored.wake_at.utcoffset() == state.wake_at.utcoffset()


def test_restored_state_continues_the_journey() -> None:
    c = campaign()
    waiting = advance(c, start(c), ANYONE, T0).state
    restored = EnrollmentState.from_json(json.loads(json.dumps(waiting.to_json())))

    outcome = advance(c, restored, ANYONE, T0 + timedelta(days=2))

    assert outcome.commands == [Send("step-3", "email", "nudge", "en")]


@pytest.mark.parametrize("version", [STATE_VERSION + 1, 0, None, "1"])
def test_unknown_state_version_is_refused(version: object) -> None:
    data = _states()[1].to_json()
    data["v"] = version

    with pytest.raises(ValueError, match="unknown enrollment state version"):
        EnrollmentState.from_json(data)


def test_state_without_a_version_is_refused() -> None:
    data = _states()[1].to_json()
    del data["v"]

    with pytest.raises(ValueError, match="version"):
        EnrollmentState.from_json(data)


# -- simulate -----------------------------------------------------------------------------


def test_simulate_the_whole_journey() -> None:
    c = campaign()

    timeline = simulate(c, ContactView(locale="fr"), T0, days=10)

    assert timeline == [
        Entry(T0, "send", Send("step-1", "email", "welcome", "fr"), step_id="step-1"),
        Entry(
            T0 + timedelta(days=2), "send", Send("step-3", "email", "nudge", "en"), step_id="step-3"
        ),
        Entry(T0 + timedelta(days=2), "end", detail="completed: ran its last step, 'step-3'"),
    ]


def test_simulate_stops_at_its_horizon() -> None:
    c = campaign()

    timeline = simulate(c, ANYONE, T0, days=1)

    assert [e.kind for e in timeline] == ["send"]


def test_simulate_unsubscribe_stops_further_sends() -> None:
    c = campaign()
    unsubscribed_at = T0 + timedelta(days=1, hours=3)

    timeline = simulate(
        c, ANYONE, T0, days=10, events=[ContactEvent(unsubscribed_at, "unsubscribed")]
    )

    assert timeline == [
        Entry(T0, "send", Send("step-1", "email", "welcome", "en"), step_id="step-1"),
        Entry(unsubscribed_at, "event", detail="unsubscribed"),
        Entry(unsubscribed_at, "end", detail="exited: contact unsubscribed"),
    ]


def test_simulate_bounce_before_the_start() -> None:
    c = campaign()

    timeline = simulate(
        c, ANYONE, T0, days=10, events=[ContactEvent(T0 - timedelta(hours=1), "bounced")]
    )

    assert [e.kind for e in timeline] == ["event", "end"]
    assert timeline[-1].detail == "exited: contact bounced"


def test_simulate_other_events_are_recorded_and_do_not_stop() -> None:
    c = campaign()
    opened = T0 + timedelta(hours=5)

    timeline = simulate(
        c,
        ANYONE,
        T0,
        days=10,
        events=[
            ContactEvent(T0 + timedelta(days=30), "unsubscribed"),
            ContactEvent(opened, "opened"),
        ],
    )

    assert [(e.at, e.kind) for e in timeline] == [
        (T0, "send"),
        (opened, "event"),
        (T0 + timedelta(days=2), "send"),
        (T0 + timedelta(days=2), "end"),
    ]


def test_simulate_with_a_window() -> None:
    c = with_window('{days: [mon, tue, wed, thu, fri], hours: "09:00-18:00"}')

    timeline = simulate(c, ANYONE, local(2024, 1, 18, 20), days=10)  # Thursday evening

    sends = [(e.at, e.send.step_id) for e in timeline if e.send is not None]
    assert sends == [
        (local(2024, 1, 19, 9), "step-1"),  # Friday morning
        (local(2024, 1, 22, 9), "step-3"),  # Sunday 09:00 + weekend -> Monday
    ]


# -- limits -------------------------------------------------------------------------------


def _burst(n: int) -> Campaign:
    return Campaign(
        key="burst",
        name="burst",
        default_locale="en",
        trigger=Trigger("manual"),
        reentry=Reentry("never"),
        steps=tuple(SendStep(f"s{i}", "email", "t") for i in range(n)),
        templates={"t": {"en": TemplateVariant("s", "h")}},
    )


def test_many_sends_in_a_row() -> None:
    c = _burst(100)

    outcome = advance(c, start(c), ANYONE, T0)

    assert len(outcome.commands) == 100
    assert outcome.state.status == COMPLETED


def test_a_long_valid_campaign_settles() -> None:
    """The number of steps run in one call is bounded by the campaign, not a fixed guard."""
    steps = "".join("  - send: email\n    template: welcome\n" for _ in range(300))
    c = parse_campaign("key: long\nsteps:\n" + steps + TEMPLATES)

    outcome = advance(c, start(c), ANYONE, T0)

    assert len(outcome.commands) == 300


# -- purity -------------------------------------------------------------------------------


def test_the_engine_imports_nothing_from_django_or_the_network() -> None:
    script = (
        "import pkgutil, sys, goteo.engine\n"
        "for m in pkgutil.iter_modules(goteo.engine.__path__):\n"
        "    __import__('goteo.engine.' + m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in "
        "('django', 'socket', 'http', 'urllib3', 'httpx', 'requests', 'psycopg'))\n"
        "print(','.join(bad))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout.strip() == ""
