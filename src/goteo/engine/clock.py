"""Clocks are injected: the engine never reads the system time itself."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class SpeedClock:
    """Time that runs ``speed`` times faster than real time from ``origin`` on.

    ``origin`` is kept by the caller (the demo stores it) so a restarted worker continues where
    the previous one was instead of jumping back.
    """

    origin: datetime
    speed: float
    _real: object = field(default=time.time, repr=False)

    def now(self) -> datetime:
        real_now = self._real()  # type: ignore[operator]
        elapsed = real_now - self.origin.timestamp()
        return self.origin + timedelta(seconds=elapsed * self.speed)


@dataclass
class ManualClock:
    """A virtual clock for tests and the simulator: it moves only when told to."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current = self.current + delta
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when
