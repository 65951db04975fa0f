"""Send windows in the contact's own time zone, correct across daylight-saving changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """The named time zone, or ``fallback`` when the name is empty or unknown."""
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def is_valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Window:
    """Days of the week (0 = Monday) and a local time range; ``end <= start`` spans midnight."""

    days: frozenset[int]
    start: time
    end: time

    def _overnight(self) -> bool:
        return self.end <= self.start

    def contains(self, when: datetime, tz: ZoneInfo) -> bool:
        local = when.astimezone(tz)
        t, day = local.time().replace(tzinfo=None), local.weekday()
        if not self._overnight():
            return day in self.days and self.start <= t < self.end
        if t >= self.start:
            return day in self.days
        return t < self.end and (day - 1) % 7 in self.days

    def next_open(self, when: datetime, tz: ZoneInfo) -> datetime:
        """``when`` itself if the window is open then, else the next moment it opens (UTC)."""
        if self.contains(when, tz):
            return when
        # The window opens at a start time, or when the clocks change (going back can reopen it).
        local_day = when.astimezone(tz).date()
        candidates = set(_transitions(when, when + timedelta(days=9), tz))
        for offset in range(-1, 9):
            day = local_day + timedelta(days=offset)
            if day.weekday() in self.days:
                candidates.update(_local_instants(day, self.start, tz))
        for moment in sorted(c for c in candidates if c > when):
            if self.contains(moment, tz):
                return moment
        raise ValueError("window has no open days")  # unreachable: validation requires days


def _local_instants(day: date, at: time, tz: ZoneInfo) -> list[datetime]:
    """Every UTC instant at which local clocks read ``at`` on ``day``, earliest first.

    A wall time repeated when clocks go back happens twice; one skipped when they go forward
    never happens, and the window opens at the jump instead.
    """
    naive = datetime.combine(day, at)
    instants = set()
    for fold in (0, 1):
        instant = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) != naive:
            instant = _jump_after(naive, tz)
        instants.add(instant)
    return sorted(instants)


def _transitions(start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
    """The instants in [start, end) at which the zone's UTC offset changes."""
    found = []
    lo = start
    while lo < end:
        hi = min(lo + timedelta(days=1), end)
        if lo.astimezone(tz).utcoffset() != hi.astimezone(tz).utcoffset():
            found.append(_first_with_offset(lo, hi, tz))
        lo = hi
    return found


def _first_with_offset(lo: datetime, hi: datetime, tz: ZoneInfo) -> datetime:
    target = hi.astimezone(tz).utcoffset()
    while hi - lo > timedelta(microseconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).utcoffset() == target:
            hi = mid
        else:
            lo = mid
    return hi


def _jump_after(naive: datetime, tz: ZoneInfo) -> datetime:
    """For a wall time skipped by a spring-forward change: the instant of the jump."""
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)  # reads earlier than ``naive``
    hi = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)  # reads later than ``naive``
    while hi - lo > timedelta(microseconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi
