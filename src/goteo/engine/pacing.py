"""Pacing across campaigns: a frequency cap per contact and quiet hours on their wall clock.

Pure: the caller passes "now", the contact's recent send times and its time zone.

- ``Cap(2, 7 days)`` allows at most 2 marketing messages in any 7-day span: a message may go
  at ``t`` only if fewer than 2 were sent after ``t - 7 days``.
- Quiet hours ``21:00-08:00`` are the complement of the send window ``08:00-21:00`` every day,
  so the window machinery (``engine/window.py``) handles the daylight-saving changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from goteo.engine.durations import DurationError, format_duration, parse_duration
from goteo.engine.window import Window

EVERY_DAY = frozenset(range(7))
_CAP = re.compile(r"^\s*(\d+)\s*/\s*(\S+)\s*$")
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class PacingError(ValueError):
    """A frequency cap or quiet hours that cannot be understood."""


@dataclass(frozen=True)
class Cap:
    """At most ``count`` messages in any span of ``period``."""

    count: int
    period: timedelta

    def __str__(self) -> str:
        return f"{self.count}/{format_duration(self.period)}"


@dataclass(frozen=True)
class QuietHours:
    """Local hours in which no marketing message leaves; ``window`` is when sending is open."""

    start: time
    end: time

    @property
    def window(self) -> Window:
        return Window(EVERY_DAY, self.end, self.start)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Pacing:
    """The operator's pacing rules; the default paces nothing."""

    cap: Cap | None = None
    quiet: QuietHours | None = None

    @property
    def active(self) -> bool:
        return self.cap is not None or self.quiet is not None


def parse_cap(text: str) -> Cap | None:
    """``"2/7d"`` -> ``Cap(2, 7 days)``; empty text means no cap."""
    if not text.strip():
        return None
    match = _CAP.match(text)
    if not match:
        raise PacingError(f"{text!r} is not a frequency cap (like 2/7d: 2 messages per 7 days)")
    try:
        period = parse_duration(match.group(2))
    except DurationError as exc:
        raise PacingError(f"{text!r}: the period {exc}") from None
    count = int(match.group(1))
    if count < 1:
        raise PacingError(f"{text!r}: the cap must allow at least 1 message")
    return Cap(count, period)


def parse_quiet_hours(text: str) -> QuietHours | None:
    """``"21:00-08:00"`` -> quiet from 21:00 until 08:00 the next morning; empty means none."""
    if not text.strip():
        return None
    match = _HOURS.match(text)
    if not match:
        raise PacingError(f"{text!r} is not a range of hours (like 21:00-08:00)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
        raise PacingError(f"{text!r} is not a valid range of hours")
    start, end = time(h1 % 24, m1), time(h2 % 24, m2)
    if start == end:
        raise PacingError(f"{text!r} is empty or covers the whole day")
    return QuietHours(start, end)


def cap_allows(when: datetime, sent: Iterable[datetime], cap: Cap) -> bool:
    """Whether one more message may go at ``when``: fewer than ``count`` after the span began."""
    since = when - cap.period
    return sum(1 for s in sent if s > since) < cap.count


def next_allowed(
    now: datetime,
    sent: Iterable[datetime],
    cap: Cap | None,
    quiet: QuietHours | None,
    tz: ZoneInfo,
) -> datetime:
    """The earliest moment at or after ``now`` at which one more message may go.

    ``sent`` holds the times of the contact's marketing messages (those older than the cap's
    period do not matter). Returns ``now`` itself when the message may go at once.
    """
    at = now
    if cap is not None:
        recent = sorted(s for s in sent if s > now - cap.period)
        excess = len(recent) - cap.count
        if excess >= 0:
            # Once the oldest ``excess + 1`` of them are a whole period old, a slot is free.
            at = max(now, recent[excess] + cap.period)
    if quiet is not None:
        at = quiet.window.next_open(at, tz)
    return at
