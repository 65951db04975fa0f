"""Clocks are injected: the engine never reads the system time itself."""

from __future__ import annotations

import time
from collections.abc import Callable
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
    """Time that runs ``speed`` times faster than real time.

    At real time ``real_anchor`` (epoch seconds) the virtual time was ``virtual_anchor``.
    """

    real_anchor: float
    virtual_anchor: datetime
    speed: float
    real: Callable[[], float] = field(default=time.time, repr=False)

    def now(self) -> datetime:
        return self.virtual_anchor + timedelta(
            seconds=(self.real() - self.real_anchor) * self.speed
        )


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
