"""Exposure pacing: the planner, the touch step, and a virtual clock through the real cap."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goteo.content.sms_checks import sms_warnings
from goteo.engine.advance import ContactView, advance
from goteo.engine.commands import Send
from goteo.engine.exposure_pacing import (
    AHEAD,
    BEHIND,
    ON_PACE,
    ExposurePacing,
    Finished,
    PaceFacts,
    Touch,
    max_under_cap,
    next_channel,
    plan_touch,
    standing,
)
from goteo.engine.model import Campaign
from goteo.engine.pacing import Cap, QuietHours, cap_allows, next_allowed
from goteo.engine.parser import parse_campaign
from goteo.engine.problems import CampaignInvalid
from goteo.engine.simulate import simulate
from goteo.engine.state import ACTIVE, EnrollmentState

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
DAY = timedelta(days=1)
LAW = ExposurePacing(29, 90 * DAY, ("email", "mail", "sms"))
ALL = frozenset(LAW.channels)

DOC = """\
key: drip29
pacing: {exposures: 29, within: 90d, channels: [email, mail, sms]}
steps:
  - id: drip
    touch: {email: [drip_a, drip_b], mail: card, sms: drip_sms}
  - send: email
    template: thanks
templates:
  drip_a: {en: {subject: "Hello", html: "<p>Hi</p>"}}
  drip_b: {en: {subject: "Again", html: "<p>Again</p>"}}
  card: {en: {subject: "Card", html: "<p>A card</p>"}}
  drip_sms: {en: {text: "Hi from us"}}
  thanks: {en: {subject: "Thanks", html: "<p>Thanks</p>"}}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(CampaignInvalid) as caught:
        parse_campaign(text)
    return [f"{p.line}: {p.path}: {p.message}" for p in caught.value.problems]


# -- the planner --------------------------------------------------------------------------


def test_the_first_touch_goes_at_once_and_the_next_one_spacing_later() -> None:
    assert plan_touch(LAW, START, START, PaceFacts(ALL), {}) == Touch(START, "email")
    later = plan_touch(LAW, START, START, PaceFacts(ALL, delivered=1), {"email": 1})
    assert later == Touch(START + LAW.spacing, "mail")
    assert LAW.spacing == timedelta(days=3, hours=2, minutes=28, seconds=57)


def test_other_exposures_count_and_push_the_plan_back() -> None:
    facts = PaceFacts(ALL, delivered=2, others=3)
    assert plan_touch(LAW, START, START + DAY, facts, {}) == Touch(START + 5 * LAW.spacing, "email")


def test_a_journey_behind_sends_at_once_but_never_beside_a_waiting_touch() -> None:
    now = START + 30 * DAY
    behind = PaceFacts(ALL, delivered=3)
    assert plan_touch(LAW, START, now, behind, {}).at == now  # type: ignore[union-attr]
    waiting = PaceFacts(ALL, delivered=3, waiting_until=now - DAY)
    plan = plan_touch(LAW, START, now, waiting, {})
    assert isinstance(plan, Touch) and plan.at > now


def test_finished_when_met_over_or_unreachable() -> None:
    met = plan_touch(LAW, START, START, PaceFacts(ALL, delivered=29), {})
    assert met == Finished("pacing target met: 29 of 29 exposures")
    over = plan_touch(LAW, START, START + 90 * DAY, PaceFacts(ALL, delivered=20), {})
    assert over == Finished("pacing period over: 20 of 29 exposures in 90d")
    none = plan_touch(LAW, START, START, PaceFacts(frozenset()), {})
    assert none == Finished("pacing stopped: the contact can receive none of email, mail, sms")


def test_the_channel_is_the_least_used_one_the_contact_can_receive() -> None:
    assert next_channel(LAW.channels, ALL, {"email": 2, "mail": 1, "sms": 1}) == "mail"
    assert next_channel(LAW.channels, frozenset({"email", "sms"}), {"email": 1}) == "sms"
    assert next_channel(LAW.channels, frozenset({"web"}), {}) is None


@pytest.mark.parametrize(
    ("days", "actual", "status"),
    [(0, 1, ON_PACE), (45, 14, ON_PACE), (45, 16, AHEAD), (45, 12, BEHIND), (120, 28, ON_PACE)],
)
def test_standing(days: int, actual: int, status: str) -> None:
    assert standing(LAW, START, START + days * DAY, actual).status == status


def test_the_most_a_cap_lets_through() -> None:
    assert max_under_cap(90 * DAY, 2, 7 * DAY) == 26
    assert max_under_cap(14 * DAY, 2, 7 * DAY) == 4


@settings(max_examples=200, deadline=None)
@given(
    target=st.integers(1, 60),
    days=st.integers(1, 120),
    delivered=st.integers(0, 80),
    others=st.integers(0, 20),
    elapsed=st.floats(0, 1.5),
    waiting=st.booleans(),
)
def test_a_planned_touch_is_never_before_now_nor_past_the_period(
    target: int, days: int, delivered: int, others: int, elapsed: float, waiting: bool
) -> None:
    pacing = ExposurePacing(target, days * DAY, ("email", "sms"))
    now = START + pacing.within * elapsed
    facts = PaceFacts(ALL, delivered, others, now if waiting else None)
    plan = plan_touch(pacing, START, now, facts, {})
    if delivered + others >= target or now >= START + pacing.within:
        assert isinstance(plan, Finished)
        return
    assert isinstance(plan, Touch)
    assert now <= plan.at <= START + pacing.within
    if waiting:
        assert plan.at > now
    # The k-th exposure is never planned before its even share of the period.
    assert plan.at >= min(START + pacing.spacing * (delivered + others), START + pacing.within)


# -- the format ---------------------------------------------------------------------------


def test_the_touch_step_and_its_target_parse() -> None:
    campaign = parse_campaign(DOC)
    assert campaign.pacing == LAW


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("channels: [email, mail, sms]", "channels: [email, fax]",
         "2: pacing.channels[1]: 'fax' is not a paced channel (available: email, mail, sms)"),
        ("exposures: 29", "exposures: lots",
         "2: pacing.exposures: 'lots' must be a whole number of exposures"),
        ("within: 90d", "within: soon",
         "2: pacing.within: 'soon' is not a duration (use forms like 30m, 4h, 2d, 1w)"),
        (", sms: drip_sms}", "}",
         "5: steps[0].touch: names no template for the paced channel 'sms'"),
        ("card, sms", "nope, sms",
         "5: steps[0].touch.mail: template 'nope' is not defined under templates"),
        ("pacing: {exposures: 29, within: 90d, channels: [email, mail, sms]}\n", "",
         "4: steps[0].touch: a touch step needs the campaign's pacing: target"),
    ],
)  # fmt: skip
def test_bad_pacing_is_refused_by_line(old: str, new: str, expected: str) -> None:
    assert expected in problems(DOC.replace(old, new))


def test_a_paced_campaign_needs_its_touch_step() -> None:
    doc = DOC.replace(
        "  - id: drip\n    touch: {email: [drip_a, drip_b], mail: card, sms: drip_sms}\n", ""
    )
    assert "2: pacing: a paced campaign needs one touch step" in problems(doc)[0]


# -- the touch step in advance and the simulator --------------------------------------------


def test_the_simulator_shows_29_touches_rotating_through_the_channels() -> None:
    timeline = simulate(parse_campaign(DOC), ContactView(), START, 100)
    touches = [e for e in timeline if e.kind == "touch"]
    assert len(touches) == 29
    assert [e.send.channel for e in touches[:4] if e.send] == ["email", "mail", "sms", "email"]
    assert [e.send.template for e in touches[:4] if e.send] == [
        "drip_a",
        "card",
        "drip_sms",
        "drip_b",
    ]
    assert touches[1].at - touches[0].at == LAW.spacing
    assert [e.step_id for e in touches[-1:]] == ["drip.29"]
    assert touches[-1].at < START + 90 * DAY
    kinds = [e.kind for e in timeline[-3:]]
    assert kinds == ["pacing", "send", "end"]


def test_a_window_moves_the_touch_to_its_opening() -> None:
    doc = DOC.replace(
        "steps:", 'window: {days: [mon, tue, wed, thu, fri], hours: "09:00-17:00"}\nsteps:'
    )
    timeline = simulate(parse_campaign(doc), ContactView(), START, 100)
    touches = [e for e in timeline if e.kind == "touch"]
    assert all(e.at.weekday() < 5 and 9 <= e.at.hour < 17 for e in touches)
    assert len(touches) >= 28


# -- a virtual clock through the real frequency cap ---------------------------------------


@dataclass
class Person:
    """One contact on the virtual clock: its ledger, its outbox and its competitor's sends."""

    name: str
    reachable: frozenset[str]
    tz: ZoneInfo
    newsletter_every: timedelta | None = None  # another campaign's marketing, taking slots
    state: EnrollmentState = field(
        default_factory=lambda: EnrollmentState.start("drip", started_at=START)
    )
    sent: list[tuple[datetime, str]] = field(default_factory=list)  # (when, whose)
    waiting: list[tuple[datetime, str]] = field(default_factory=list)  # (due, whose)

    def facts(self, began: datetime | None) -> PaceFacts:
        own = sum(1 for _, whose in self.sent if whose == "drip")
        others = sum(1 for at, w in self.sent if w != "drip" and began and at >= began)
        due = [at for at, whose in self.waiting if whose == "drip"]
        return PaceFacts(self.reachable, own, others, min(due) if due else None)


def run_virtual_clock(
    campaign: Campaign, people: list[Person], cap: Cap, quiet: QuietHours
) -> None:
    """Advance journeys when due, send each due message through the cap and quiet hours
    (postponing what they hold back), and run the newsletters, for 100 days."""
    end = START + 100 * DAY
    queue: list[tuple[datetime, int, int, str]] = []  # (when, order, person, what)
    for i, p in enumerate(people):
        heapq.heappush(queue, (START, 1, i, "advance"))
        if p.newsletter_every is not None:
            heapq.heappush(queue, (START, 0, i, "newsletter"))
    while queue:
        now, _, i, what = heapq.heappop(queue)
        if now > end:
            break
        person = people[i]
        if what == "newsletter":
            person.waiting.append((now, "news"))
            heapq.heappush(queue, (now, 0, i, "outbox"))
            assert person.newsletter_every is not None
            heapq.heappush(queue, (now + person.newsletter_every, 0, i, "newsletter"))
        elif what == "outbox":
            for due, whose in sorted(person.waiting, key=lambda m: (m[1] != "news", m[0])):
                if due > now:
                    continue
                times = [at for at, _ in person.sent]
                allowed = next_allowed(now, times, cap, quiet, person.tz)
                person.waiting.remove((due, whose))
                if allowed == now:
                    person.sent.append((now, whose))
                else:
                    person.waiting.append((allowed, whose))
                    heapq.heappush(queue, (allowed, 0, i, "outbox"))
        elif person.state.status == ACTIVE:
            wake = person.state.wake_at
            if wake is not None and wake > now:
                continue  # an older wake-up
            view = ContactView(timezone=person.tz.key, pace=person.facts(person.state.since))
            outcome = advance(campaign, person.state, view, now)
            person.state = outcome.state
            for command in outcome.commands:
                assert isinstance(command, Send)
                whose = "drip" if command.touch else "thanks"
                person.waiting.append((now, whose))
                heapq.heappush(queue, (now, 0, i, "outbox"))
            if outcome.state.wake_at is not None:
                heapq.heappush(queue, (outcome.state.wake_at, 1, i, "advance"))


def test_29_in_90_days_is_met_within_one_touch_and_the_cap_never_broken() -> None:
    cap, quiet = Cap(3, 7 * DAY), QuietHours(time(21), time(8))
    people = [
        Person("all channels, Madrid", ALL, ZoneInfo("Europe/Madrid")),
        Person("email only, New York", frozenset({"email"}), ZoneInfo("America/New_York")),
        Person("email and sms, Tokyo", frozenset({"email", "sms"}), ZoneInfo("Asia/Tokyo")),
        # Conflicts: a newsletter takes 2 of the 3 weekly slots, or all of them.
        Person("weekly newsletter x2", ALL, ZoneInfo("UTC"), newsletter_every=timedelta(days=3.5)),
        Person("daily newsletter", ALL, ZoneInfo("UTC"), newsletter_every=DAY),
    ]
    run_virtual_clock(parse_campaign(DOC), people, cap, quiet)
    for person in people:
        times = sorted(at for at, _ in person.sent)
        for at in times:  # the cap holds in every span of 7 days, for everyone
            assert cap_allows(at, [t for t in times if t < at], cap), person.name
        for at in times:
            assert quiet.window.contains(at, person.tz), person.name
        assert len(times) >= 28, person.name  # every exposure counts toward the target
    for person in people[:3]:  # no conflict: 29 within one touch, evenly spread
        drip = [at for at, whose in person.sent if whose == "drip"]
        assert 28 <= len(drip) <= 29, person.name
        assert all(at < START + 90 * DAY + DAY for at in drip), person.name
        channels = {c: n for c, n in person.state.touches.items()}
        assert set(channels) == person.reachable, person.name
        assert max(channels.values()) - min(channels.values()) <= 1, person.name
        assert person.state.status != ACTIVE, person.name
    # The newsletter's exposures count toward the target: fewer touches from this campaign.
    assert len([1 for _, w in people[3].sent if w == "drip"]) < 29
    # Capped touches were deferred, and the plan adapted instead of piling them up.
    for person in people[3:]:
        assert sum(1 for _, whose in person.waiting if whose == "drip") <= 1, person.name


def test_a_touch_steps_long_sms_is_a_warning_at_its_text() -> None:
    long_text = "Hi from us. " * 50  # 600 characters: 4 segments, past the default 3
    doc = DOC.replace(
        'drip_sms: {en: {text: "Hi from us"}}', f'drip_sms: {{en: {{text: "{long_text}"}}}}'
    )
    [warning] = sms_warnings(doc, parse_campaign(doc), "https://goteo.example.com")
    assert (warning.line, warning.path) == (12, "templates.drip_sms.en.text")
    assert "renders to 4 SMS segments" in warning.message
    assert "steps[0] allows 3 (max_segments)" in warning.message
