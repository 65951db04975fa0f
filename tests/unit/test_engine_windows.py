"""Send windows are read on the contact's own wall clock, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.campaign_strategies import ZONES, moments

from goteo.engine.advance import ContactView, Send, advance
from goteo.engine.model import Campaign, Reentry, SendStep, TemplateVariant, Trigger
from goteo.engine.state import EnrollmentState
from goteo.engine.window import Window, is_valid_zone, zone

MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY = frozenset(range(7))
WEEKDAYS = frozenset(range(5))
OFFICE = Window(WEEKDAYS, time(9), time(18))
DAILY = Window(EVERY_DAY, time(9), time(18))
NIGHT = Window(EVERY_DAY, time(22), time(6))


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def local(
    tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=tz)


# -- contains -----------------------------------------------------------------------------


def test_contains_uses_local_wall_clock_and_excludes_the_end() -> None:
    # Monday 2024-01-15, Madrid is UTC+1 in winter
    assert not OFFICE.contains(utc(2024, 1, 15, 7, 59), MADRID)
    assert OFFICE.contains(utc(2024, 1, 15, 8, 0), MADRID)
    assert OFFICE.contains(utc(2024, 1, 15, 16, 59, 59), MADRID)
    assert not OFFICE.contains(utc(2024, 1, 15, 17, 0), MADRID)


def test_contains_follows_the_summer_offset() -> None:
    # 09:00 local is 08:00 UTC in winter and 07:00 UTC in summer
    assert not OFFICE.contains(utc(2024, 3, 29, 7, 0), MADRID)  # Friday, 08:00 CET
    assert OFFICE.contains(utc(2024, 4, 1, 7, 0), MADRID)  # Monday, 09:00 CEST
    assert OFFICE.contains(utc(2024, 3, 11, 13, 0), NEW_YORK)  # Monday, 09:00 EDT
    assert not OFFICE.contains(utc(2024, 3, 8, 13, 0), NEW_YORK)  # Friday, 08:00 EST


def test_contains_with_an_aware_local_time() -> None:
    assert OFFICE.contains(local(MADRID, 2024, 7, 1, 9, 0), MADRID)
    assert not OFFICE.contains(local(NEW_YORK, 2024, 7, 1, 13, 0), MADRID)  # 19:00 there
    assert OFFICE.contains(local(NEW_YORK, 2024, 7, 1, 13, 0), NEW_YORK)


def test_weekend_is_closed() -> None:
    saturday_noon = local(MADRID, 2024, 1, 20, 12)
    sunday_noon = local(MADRID, 2024, 1, 21, 12)

    assert not OFFICE.contains(saturday_noon, MADRID)
    assert not OFFICE.contains(sunday_noon, MADRID)
    assert DAILY.contains(saturday_noon, MADRID)


def test_weekday_is_the_contacts_not_utcs() -> None:
    # Monday 01:00 in Auckland is still Sunday in UTC
    auckland = ZoneInfo("Pacific/Auckland")
    window = Window(frozenset({0}), time(0), time(3))
    monday_early = local(auckland, 2024, 7, 1, 1, 0)

    assert monday_early.astimezone(UTC).weekday() == 6
    assert window.contains(monday_early, auckland)


def test_repeated_autumn_hour_is_in_the_window_both_times() -> None:
    window = Window(EVERY_DAY, time(1), time(1, 30))
    # New York, 2024-11-03: 01:00-02:00 happens twice (EDT, then EST)
    first = utc(2024, 11, 3, 5, 15)  # 01:15 EDT
    between = utc(2024, 11, 3, 5, 45)  # 01:45 EDT
    second = utc(2024, 11, 3, 6, 15)  # 01:15 EST

    assert first.astimezone(NEW_YORK).time() == second.astimezone(NEW_YORK).time()
    assert window.contains(first, NEW_YORK)
    assert not window.contains(between, NEW_YORK)
    assert window.contains(second, NEW_YORK)


# -- overnight windows --------------------------------------------------------------------


def test_overnight_window_belongs_to_the_day_it_starts() -> None:
    friday_nights = Window(frozenset({4}), time(22), time(6))

    assert friday_nights.contains(local(MADRID, 2024, 1, 19, 23), MADRID)  # Friday 23:00
    assert friday_nights.contains(local(MADRID, 2024, 1, 20, 3), MADRID)  # Saturday 03:00
    assert not friday_nights.contains(local(MADRID, 2024, 1, 20, 6), MADRID)  # end excluded
    assert not friday_nights.contains(local(MADRID, 2024, 1, 19, 21), MADRID)  # too early
    assert not friday_nights.contains(local(MADRID, 2024, 1, 20, 22, 30), MADRID)  # Saturday
    assert not friday_nights.contains(local(MADRID, 2024, 1, 19, 3), MADRID)  # Thursday's


def test_overnight_next_open() -> None:
    friday_nights = Window(frozenset({4}), time(22), time(6))
    saturday_morning = local(MADRID, 2024, 1, 20, 7)

    opening = friday_nights.next_open(saturday_morning, MADRID)

    assert opening == local(MADRID, 2024, 1, 26, 22)
    assert opening.tzinfo is not None and opening.utcoffset() == timedelta(0)


def test_overnight_window_is_shorter_on_the_spring_forward_night() -> None:
    # Madrid, night of 2024-03-30 (Sat) to 03-31 (Sun): 22:00 CET to 06:00 CEST is 7 hours
    assert NIGHT.contains(utc(2024, 3, 30, 21, 0), MADRID)
    assert NIGHT.contains(utc(2024, 3, 31, 3, 59), MADRID)
    assert not NIGHT.contains(utc(2024, 3, 31, 4, 0), MADRID)
    assert NIGHT.next_open(utc(2024, 3, 31, 4, 0), MADRID) == utc(2024, 3, 31, 20, 0)


def test_overnight_window_is_longer_on_the_fall_back_night() -> None:
    # New York, night of 2024-11-02 (Sat) to 11-03 (Sun): 22:00 EDT to 06:00 EST is 9 hours
    assert NIGHT.next_open(utc(2024, 11, 2, 12), NEW_YORK) == utc(2024, 11, 3, 2, 0)
    assert NIGHT.contains(utc(2024, 11, 3, 10, 59), NEW_YORK)
    assert not NIGHT.contains(utc(2024, 11, 3, 11, 0), NEW_YORK)


def test_window_to_midnight() -> None:
    evenings = Window(EVERY_DAY, time(18), time(0))

    assert evenings.contains(local(MADRID, 2024, 1, 15, 23, 59), MADRID)
    assert not evenings.contains(local(MADRID, 2024, 1, 16, 0, 0), MADRID)
    assert evenings.next_open(local(MADRID, 2024, 1, 16, 0), MADRID) == local(
        MADRID, 2024, 1, 16, 18
    )


def test_all_day_window_is_always_open_on_its_days() -> None:
    mondays = Window(frozenset({0}), time(0), time(0))

    assert mondays.contains(local(MADRID, 2024, 1, 15, 0, 0), MADRID)
    assert mondays.contains(local(MADRID, 2024, 1, 15, 23, 59), MADRID)
    assert not mondays.contains(local(MADRID, 2024, 1, 16, 0, 0), MADRID)


# -- next_open ----------------------------------------------------------------------------


def test_next_open_is_now_when_open() -> None:
    now = local(MADRID, 2024, 1, 15, 10, 17, 3)

    assert OFFICE.next_open(now, MADRID) == now


def test_next_open_later_the_same_day() -> None:
    assert OFFICE.next_open(local(MADRID, 2024, 1, 15, 7), MADRID) == local(MADRID, 2024, 1, 15, 9)


@pytest.mark.parametrize(
    "when",
    [
        local(MADRID, 2024, 1, 19, 18, 0),  # Friday, just closed
        local(MADRID, 2024, 1, 20, 8, 0),  # Saturday morning
        local(MADRID, 2024, 1, 21, 23, 59),  # Sunday night
        local(MADRID, 2024, 1, 22, 0, 0),  # Monday midnight
    ],
)
def test_weekend_is_skipped(when: datetime) -> None:
    assert OFFICE.next_open(when, MADRID) == local(MADRID, 2024, 1, 22, 9)


def test_single_day_window_waits_a_week() -> None:
    mondays = Window(frozenset({0}), time(9), time(10))

    assert mondays.next_open(local(MADRID, 2024, 1, 15, 10), MADRID) == local(
        MADRID, 2024, 1, 22, 9
    )


@pytest.mark.parametrize(
    ("tz", "closed", "opening"),
    [
        # Madrid: Sunday 2024-03-31 lasts 23 hours; 09:00 CEST is 07:00 UTC
        (MADRID, utc(2024, 3, 30, 18), utc(2024, 3, 31, 7)),
        # Madrid: Sunday 2024-10-27 lasts 25 hours; 09:00 CET is 08:00 UTC
        (MADRID, utc(2024, 10, 26, 17), utc(2024, 10, 27, 8)),
        # New York: Sunday 2024-03-10, 09:00 EDT is 13:00 UTC
        (NEW_YORK, utc(2024, 3, 9, 23, 30), utc(2024, 3, 10, 13)),
        # New York: Sunday 2024-11-03, 09:00 EST is 14:00 UTC
        (NEW_YORK, utc(2024, 11, 2, 22, 30), utc(2024, 11, 3, 14)),
    ],
)
def test_next_open_across_dst(tz: ZoneInfo, closed: datetime, opening: datetime) -> None:
    assert not DAILY.contains(closed, tz)

    assert DAILY.next_open(closed, tz) == opening
    assert opening.astimezone(tz).time() == time(9)
    assert DAILY.contains(opening, tz)
    assert not DAILY.contains(opening - timedelta(seconds=1), tz)


def test_next_open_from_inside_the_spring_forward_gap_day() -> None:
    # a window that opens at 02:00, a time that does not exist in Madrid on 2024-03-31:
    # it opens when the clocks jump, at 03:00 CEST
    window = Window(EVERY_DAY, time(2), time(5))

    opening = window.next_open(utc(2024, 3, 31, 0, 30), MADRID)

    assert opening == utc(2024, 3, 31, 1, 0)
    assert opening.astimezone(MADRID).time() == time(3)
    assert window.contains(opening, MADRID)


def test_next_open_in_the_repeated_autumn_hour_takes_the_first() -> None:
    window = Window(EVERY_DAY, time(1, 30), time(5))

    assert window.next_open(utc(2024, 11, 3, 5, 0), NEW_YORK) == utc(2024, 11, 3, 5, 30)


def test_next_open_when_the_opening_time_is_skipped() -> None:
    """02:30 does not exist in Madrid on 2024-03-31; the window is open from the jump on."""
    window = Window(EVERY_DAY, time(2, 30), time(4))
    assert window.contains(utc(2024, 3, 31, 1, 0), MADRID)  # 03:00 CEST is inside

    assert window.next_open(utc(2024, 3, 31, 0, 30), MADRID) == utc(2024, 3, 31, 1, 0)


def test_next_open_is_a_moment_when_the_window_is_open() -> None:
    window = Window(EVERY_DAY, time(2, 30), time(3, 15))

    assert window.contains(window.next_open(utc(2024, 3, 31, 0, 30), MADRID), MADRID)


def test_next_open_in_the_second_pass_of_the_repeated_hour() -> None:
    """Clocks go back to 01:00 EST at 06:00 UTC, and reach 01:30 a second time."""
    window = Window(EVERY_DAY, time(1, 30), time(5))
    when = utc(2024, 11, 3, 6, 0)
    assert not window.contains(when, NEW_YORK)
    assert window.contains(utc(2024, 11, 3, 6, 30), NEW_YORK)

    assert window.next_open(when, NEW_YORK) == utc(2024, 11, 3, 6, 30)


def test_next_open_when_clocks_go_back_over_the_end_of_the_window() -> None:
    window = Window(EVERY_DAY, time(0), time(1, 30))
    when = utc(2024, 11, 3, 5, 45)  # 01:45 EDT
    assert not window.contains(when, NEW_YORK)
    assert window.contains(utc(2024, 11, 3, 6, 0), NEW_YORK)  # 01:00 EST

    assert window.next_open(when, NEW_YORK) == utc(2024, 11, 3, 6, 0)


def test_next_open_skips_a_day_whose_window_is_wholly_skipped() -> None:
    sundays = Window(frozenset({6}), time(2), time(2, 30))
    when = utc(2024, 3, 30, 12)

    opening = sundays.next_open(when, MADRID)

    assert sundays.contains(opening, MADRID)
    assert opening == local(MADRID, 2024, 4, 7, 2)


# -- time zones ---------------------------------------------------------------------------


def test_zone_prefers_the_contacts_zone() -> None:
    assert zone("America/New_York", "Europe/Madrid") == NEW_YORK


@pytest.mark.parametrize("missing", [None, ""])
def test_missing_contact_zone_falls_back_to_the_campaigns(missing: str | None) -> None:
    assert zone(missing, "Europe/Madrid") == MADRID


@pytest.mark.parametrize("unknown", ["Mars/Olympus_Mons", "Europe/Madird", "../etc/passwd"])
def test_unknown_contact_zone_falls_back(unknown: str) -> None:
    assert zone(unknown, "America/New_York") == NEW_YORK
    assert zone(unknown) == ZoneInfo("UTC")
    assert zone(unknown, "Also/Unknown") == ZoneInfo("UTC")


def test_is_valid_zone() -> None:
    assert is_valid_zone("Europe/Madrid")
    assert is_valid_zone("UTC")
    assert not is_valid_zone("Europe/Madird")
    assert not is_valid_zone("")


def _campaign(timezone: str) -> Campaign:
    return Campaign(
        key="c",
        name="c",
        default_locale="en",
        trigger=Trigger("manual"),
        reentry=Reentry("never"),
        steps=(SendStep("hello", "email", "t"),),
        templates={"t": {"en": TemplateVariant("s", "h")}},
        window=DAILY,
        timezone=timezone,
    )


@pytest.mark.parametrize(
    ("contact_zone", "campaign_zone", "opening"),
    [
        ("America/New_York", "Europe/Madrid", utc(2024, 1, 15, 14)),  # 09:00 EST
        (None, "Europe/Madrid", utc(2024, 1, 15, 8)),  # 09:00 CET
        ("Mars/Olympus_Mons", "Europe/Madrid", utc(2024, 1, 15, 8)),
        (None, "UTC", utc(2024, 1, 15, 9)),
    ],
)
def test_advance_reads_the_window_in_the_right_zone(
    contact_zone: str | None, campaign_zone: str, opening: datetime
) -> None:
    campaign = _campaign(campaign_zone)
    contact = ContactView(timezone=contact_zone)
    start = utc(2024, 1, 15, 2)

    waiting = advance(campaign, EnrollmentState.start("hello"), contact, start)
    assert waiting.commands == []
    assert waiting.state.wake_at == opening

    sent = advance(campaign, waiting.state, contact, opening)
    assert sent.commands == [Send("hello", "email", "t", "en")]


# -- properties ---------------------------------------------------------------------------

QUARTER = timedelta(minutes=15)


@st.composite
def quarter_windows(draw: st.DrawFn) -> Window:
    """Windows whose hours fall on quarter hours, like every zone offset in ZONES."""
    days = draw(st.frozensets(st.integers(min_value=0, max_value=6), min_size=1))
    start = draw(st.integers(min_value=0, max_value=95))
    end = draw(st.integers(min_value=1, max_value=96).filter(lambda e: e != start))
    return Window(
        days,
        time(start * 15 // 60, start * 15 % 60),
        time(end * 15 % 1440 // 60, end * 15 % 60),
    )


def first_open_moment(window: Window, when: datetime, tz: ZoneInfo) -> datetime | None:
    """Scan quarter hours: with quarter-hour offsets and hours, the window can only open or
    close on one."""
    if window.contains(when, tz):
        return when
    t = when.replace(minute=when.minute // 15 * 15, second=0, microsecond=0)
    if t < when:
        t += QUARTER
    for _ in range(10 * 96):
        if window.contains(t, tz):
            return t
        t += QUARTER
    return None


@settings(max_examples=300, deadline=None)
@given(quarter_windows(), st.sampled_from(ZONES), moments)
def test_next_open_is_the_first_open_moment(window: Window, zone_name: str, when: datetime) -> None:
    tz = ZoneInfo(zone_name)

    opening = window.next_open(when, tz)

    assert opening >= when
    assert opening - when <= timedelta(days=8)
    if window.contains(when, tz):
        assert opening == when
    first = first_open_moment(window, when, tz)
    assert first is not None
    # Exact everywhere, the days the clocks change included.
    assert opening == first
    assert window.contains(opening, tz)


@settings(max_examples=200, deadline=None)
@given(quarter_windows(), st.sampled_from(ZONES), moments)
def test_contains_is_wall_clock_arithmetic(window: Window, zone_name: str, when: datetime) -> None:
    tz = ZoneInfo(zone_name)
    wall = when.astimezone(tz)
    minute = wall.hour * 60 + wall.minute + wall.second / 60 + wall.microsecond / 6e7
    start = window.start.hour * 60 + window.start.minute
    end = window.end.hour * 60 + window.end.minute
    today, yesterday = wall.weekday(), (wall.weekday() - 1) % 7
    if start < end:
        expected = today in window.days and start <= minute < end
    else:
        expected = (minute >= start and today in window.days) or (
            minute < end and yesterday in window.days
        )

    assert window.contains(when, tz) == expected
