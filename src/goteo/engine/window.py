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
        local_day = when.astimezone(tz).date()
        for offset in range(0, 9):
            day = local_day + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            opening = _local_instant(day, self.start, tz)
            if opening > when:
                return opening
        raise ValueError("window has no open days")  # unreachable: validation requires days


def _local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time; a time skipped by DST moves forward."""
    # fold=0 (PEP 495): a wall time in a spring-forward gap maps with the offset in force before
    # the jump, which lands after it (02:30 becomes 03:30); a repeated autumn time maps to its
    # first occurrence.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
