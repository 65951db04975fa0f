"""Pacing: the frequency cap, quiet hours and the gate's verdict. Pure: no database."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.campaign_strategies import ZONES, all_transitions

from goteo.engine.pacing import (
    Cap,
    Pacing,
    PacingError,
    QuietHours,
    cap_allows,
    next_allowed,
    parse_cap,
    parse_quiet_hours,
)
from goteo.engine.parser import parse_campaign
from goteo.engine.problems import CampaignInvalid
from goteo.worker.gate import Facts, Hold, Postpone, Send, Suppress, decide

MADRID = ZoneInfo("Europe/Madrid")
UTC_ZONE = ZoneInfo("UTC")
WEEK = timedelta(days=7)
NIGHT = QuietHours(time(21), time(8))  # quiet from 21:00 until 08:00
NOW = datetime(2025, 3, 5, 14, 0, tzinfo=UTC)  # a Wednesday


def utc(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- reading the settings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2/7d", Cap(2, WEEK)),
        (" 3 / 1w ", Cap(3, WEEK)),
        ("1/1d12h", Cap(1, timedelta(hours=36))),
        ("", None),
        ("  ", None),
    ],
)
def test_parse_cap(text: str, expected: Cap | None) -> None:
    assert parse_cap(text) == expected


@pytest.mark.parametrize("text", ["2", "two/7d", "0/7d", "2/7", "2/7 days", "-1/7d", "2/0d"])
def test_parse_cap_refuses(text: str) -> None:
    with pytest.raises(PacingError, match=r"cap|period|duration"):
        parse_cap(text)


def test_cap_reads_back() -> None:
    assert str(Cap(2, WEEK)) == "2/1w"
    assert str(parse_cap("3/36h")) == "3/1d12h"


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("21:00-08:00", time(21), time(8)),
        ("22:30 - 07:15", time(22, 30), time(7, 15)),
        ("00:00-06:00", time(0), time(6)),
        ("22:00-24:00", time(22), time(0)),
        ("13:00-14:00", time(13), time(14)),
    ],
)
def test_parse_quiet_hours(text: str, start: time, end: time) -> None:
    assert parse_quiet_hours(text) == QuietHours(start, end)


@pytest.mark.parametrize("text", ["21-8", "21:00", "25:00-08:00", "21:60-08:00", "08:00-08:00"])
def test_parse_quiet_hours_refuses(text: str) -> None:
    with pytest.raises(PacingError):
        parse_quiet_hours(text)


def test_quiet_hours_are_the_complement_of_a_daily_window() -> None:
    window = NIGHT.window
    assert (window.start, window.end, window.days) == (time(8), time(21), frozenset(range(7)))
    assert str(NIGHT) == "21:00-08:00"
    assert not window.contains(utc(3, 5, 21), UTC_ZONE)
    assert not window.contains(utc(3, 5, 7, 59), UTC_ZONE)
    assert window.contains(utc(3, 5, 8), UTC_ZONE)
    overnight_end = parse_quiet_hours("00:00-06:00")
    assert overnight_end is not None
    assert overnight_end.window.contains(utc(3, 5, 23, 59), UTC_ZONE)
    assert not overnight_end.window.contains(utc(3, 6, 0), UTC_ZONE)


# -- next_allowed: examples -------------------------------------------------------------------


def test_no_rules_means_now() -> None:
    assert next_allowed(NOW, [NOW] * 50, None, None, UTC_ZONE) == NOW


def test_the_cap_frees_a_slot_when_the_oldest_send_is_a_period_old() -> None:
    cap = Cap(2, WEEK)
    assert next_allowed(NOW, [NOW - timedelta(days=3)], cap, None, UTC_ZONE) == NOW
    sent = [NOW - timedelta(days=6), NOW - timedelta(days=1), NOW - timedelta(days=9)]
    assert next_allowed(NOW, sent, cap, None, UTC_ZONE) == NOW + timedelta(days=1)
    # Exactly one period after a send, that send no longer counts.
    assert next_allowed(NOW, [NOW - WEEK, NOW - WEEK], cap, None, UTC_ZONE) == NOW
    three = [NOW - timedelta(days=5), NOW - timedelta(days=4), NOW - timedelta(days=2)]
    assert next_allowed(NOW, three, cap, None, UTC_ZONE) == NOW + timedelta(days=3)


def test_quiet_hours_postpone_to_their_end_on_the_contacts_clock() -> None:
    # 22:00 in Madrid on Wednesday 5 March (UTC+1): the next 08:00 is 07:00 UTC.
    assert next_allowed(utc(3, 5, 21), [], None, NIGHT, MADRID) == utc(3, 6, 7)
    assert next_allowed(utc(3, 5, 12), [], None, NIGHT, MADRID) == utc(3, 5, 12)


def test_quiet_hours_across_the_spring_change() -> None:
    # Saturday 29 March 2025, 22:00 CET. Clocks go forward that night: 08:00 is CEST (UTC+2).
    assert next_allowed(utc(3, 29, 21), [], None, NIGHT, MADRID) == utc(3, 30, 6)
    # Quiet hours ending inside the skipped hour end when the clocks jump.
    short = QuietHours(time(1), time(2, 30))
    assert next_allowed(utc(3, 30, 0, 30), [], None, short, MADRID) == utc(3, 30, 1)


def test_quiet_hours_across_the_autumn_change() -> None:
    # Saturday 25 October 2025, 22:00 CEST. Clocks go back that night: 08:00 is CET (UTC+1).
    assert next_allowed(utc(10, 25, 20), [], None, NIGHT, MADRID) == utc(10, 26, 7)


def test_cap_then_quiet_hours() -> None:
    # The slot frees at 23:00 UTC (quiet in Madrid): the message waits for 08:00 local.
    sent = [NOW - WEEK + timedelta(hours=9)]
    got = next_allowed(NOW, sent, Cap(1, WEEK), NIGHT, MADRID)
    assert got == utc(3, 6, 7)


# -- next_allowed: properties -----------------------------------------------------------------

STEP = timedelta(minutes=15)  # every input is on a quarter hour, so is every boundary


@st.composite
def aligned_moments(draw: st.DrawFn) -> datetime:
    base = draw(st.sampled_from([NOW, *all_transitions()]))
    quarter_hours = draw(st.integers(min_value=-4 * 96, max_value=4 * 96))
    return base.replace(minute=0) + quarter_hours * STEP


caps = st.builds(
    Cap,
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=1, max_value=3 * 96).map(lambda n: n * STEP),
)
quiet_hours = st.builds(
    QuietHours,
    st.integers(min_value=0, max_value=95).map(lambda q: time(q // 4, q % 4 * 15)),
    st.integers(min_value=0, max_value=95).map(lambda q: time(q // 4, q % 4 * 15)),
).filter(lambda q: q.start != q.end)


def allowed(
    at: datetime, sent: list[datetime], cap: Cap | None, quiet: QuietHours | None, tz: ZoneInfo
) -> bool:
    if cap is not None and not cap_allows(at, sent, cap):
        return False
    return quiet is None or quiet.window.contains(at, tz)


@settings(max_examples=300, deadline=None)
@given(
    now=aligned_moments(),
    history=st.lists(st.integers(min_value=0, max_value=4 * 96), max_size=8),
    cap=st.one_of(st.none(), caps),
    quiet=st.one_of(st.none(), quiet_hours),
    zone_name=st.sampled_from(ZONES),
)
def test_next_allowed_is_the_earliest_allowed_moment(
    now: datetime,
    history: list[int],
    cap: Cap | None,
    quiet: QuietHours | None,
    zone_name: str,
) -> None:
    tz = ZoneInfo(zone_name)
    sent = [now - n * STEP for n in history]
    got = next_allowed(now, sent, cap, quiet, tz)
    assert got >= now
    assert allowed(got, sent, cap, quiet, tz)
    at = now
    while at < got:  # no earlier quarter hour is allowed (and boundaries fall on them)
        assert not allowed(at, sent, cap, quiet, tz), at
        at += STEP
    assert at == got


@settings(max_examples=200, deadline=None)
@given(
    start=aligned_moments(),
    gaps=st.lists(st.integers(min_value=0, max_value=2 * 96), min_size=1, max_size=25),
    cap=caps,
    quiet=st.one_of(st.none(), quiet_hours),
    zone_name=st.sampled_from(ZONES),
)
def test_sending_at_next_allowed_never_exceeds_the_cap_in_any_period(
    start: datetime,
    gaps: list[int],
    cap: Cap,
    quiet: QuietHours | None,
    zone_name: str,
) -> None:
    """Messages fall due one after another; each goes at the first moment allowed."""
    tz = ZoneInfo(zone_name)
    sent: list[datetime] = []
    due = start
    for gap in gaps:
        due += gap * STEP
        at = next_allowed(max(due, sent[-1] if sent else due), sent, cap, quiet, tz)
        sent.append(at)
    for i in range(len(sent) - cap.count):
        assert sent[i + cap.count] - sent[i] >= cap.period, (i, sent)


# -- the gate ---------------------------------------------------------------------------------

ACTIVE = Facts("active", None, "active", None)
CAPPED = Pacing(Cap(2, WEEK))


def test_no_pacing_sends() -> None:
    assert decide("marketing", ACTIVE, NOW) == Send()
    busy = Facts("active", None, "active", None, recent_sends=(NOW,) * 9, ahead=3)
    assert decide("marketing", busy, NOW) == Send()


def test_over_the_cap_is_postponed_never_dropped() -> None:
    facts = Facts(
        "active",
        None,
        "active",
        None,
        recent_sends=(NOW - timedelta(days=6), NOW - timedelta(days=2)),
    )
    verdict = decide("marketing", facts, NOW, CAPPED)
    assert verdict == Postpone(NOW + timedelta(days=1), "frequency cap 2/1w reached")


def test_messages_that_go_first_take_the_free_slots() -> None:
    one_sent = (NOW - timedelta(days=2),)
    first = Facts("active", None, "active", None, recent_sends=one_sent, ahead=0)
    assert decide("marketing", first, NOW, CAPPED) == Send()
    second = Facts("active", None, "active", None, recent_sends=one_sent, ahead=1)
    verdict = decide("marketing", second, NOW, CAPPED)
    assert isinstance(verdict, Postpone)
    # The slot after the one taken now frees when the send of two days ago is a week old.
    assert verdict.until == NOW + timedelta(days=5)
    assert "ahead in priority" in verdict.reason
    # Two go first with no slot used: this one waits a week after them.
    third = Facts("active", None, "active", None, ahead=2)
    assert decide("marketing", third, NOW, CAPPED) == Postpone(NOW + WEEK, verdict.reason)


def test_quiet_hours_in_the_contacts_zone_with_utc_fallback() -> None:
    quiet = Pacing(quiet=NIGHT)
    late = utc(3, 5, 21, 30)
    madrid = Facts("active", None, "active", None, timezone="Europe/Madrid")
    assert decide("marketing", madrid, late, quiet) == Postpone(
        utc(3, 6, 7), "quiet hours 21:00-08:00"
    )
    nowhere = Facts("active", None, "active", None, timezone="")
    assert decide("marketing", nowhere, late, quiet) == Postpone(
        utc(3, 6, 8), "quiet hours 21:00-08:00"
    )
    tokyo = Facts("active", None, "active", None, timezone="Asia/Tokyo")  # 06:30 there
    assert decide("marketing", tokyo, late, quiet) == Postpone(
        utc(3, 5, 23), "quiet hours 21:00-08:00"
    )
    assert decide("marketing", madrid, utc(3, 5, 12), quiet) == Send()


def test_transactional_messages_are_never_paced() -> None:
    strict = Pacing(Cap(1, WEEK), NIGHT)
    facts = Facts("unconfirmed", None, None, None, recent_sends=(NOW,) * 5, ahead=4)
    assert decide("transactional", facts, utc(3, 5, 23), strict) == Send()


def test_suppression_pause_and_hold_come_before_pacing() -> None:
    strict = Pacing(Cap(1, WEEK), NIGHT)
    full = (NOW,)
    gone = Facts("active", None, "active", "unsubscribed", recent_sends=full)
    assert decide("marketing", gone, NOW, strict) == Suppress("address suppressed: unsubscribed")
    paused_campaign = Facts("active", None, "paused", None, recent_sends=full)
    assert decide("marketing", paused_campaign, NOW, strict) == Hold()
    until = NOW + timedelta(days=30)
    paused_contact = Facts("active", until, "active", None, recent_sends=full)
    assert decide("marketing", paused_contact, NOW, strict) == Postpone(
        until, "the contact paused their emails"
    )


# -- the campaign's priority ----------------------------------------------------------------

CAMPAIGN = """\
key: offers
steps:
  - send: email
    template: offer
templates:
  offer:
    en: {subject: "An offer", html: "<p>Hi</p>"}
"""


def test_priority_defaults_to_zero_and_is_read() -> None:
    assert parse_campaign(CAMPAIGN).priority == 0
    assert parse_campaign(CAMPAIGN + "priority: 10\n").priority == 10
    assert parse_campaign(CAMPAIGN + "priority: -3\n").priority == -3


@pytest.mark.parametrize("value", ["high", "1.5", "true", "[1]", "{a: 1}", "99999999"])
def test_priority_must_be_a_whole_number(value: str) -> None:
    with pytest.raises(CampaignInvalid) as caught:
        parse_campaign(CAMPAIGN + f"priority: {value}\n")
    (problem,) = caught.value.problems
    assert problem.path == "priority"
    assert problem.line == 8
    assert "whole number" in problem.message or "between" in problem.message


@pytest.mark.parametrize("kind", ["notification", "webhook"])
def test_messages_to_our_side_pass_the_gate_too(kind: str) -> None:
    """Not paced and not stopped by the contact's unsubscribe, but held while their campaign
    is paused, and never sent about an erased contact."""
    unsubscribed = Facts("unsubscribed", None, "active", "unsubscribed", recent_sends=(NOW,) * 9)
    assert decide(kind, unsubscribed, NOW, CAPPED) == Send()
    assert decide(kind, Facts("active", None, None, None), NOW) == Send()  # no campaign
    assert decide(kind, Facts("active", None, "paused", None), NOW) == Hold()
    assert decide(kind, Facts(None, None, "active", None), NOW) == Suppress("contact erased")
