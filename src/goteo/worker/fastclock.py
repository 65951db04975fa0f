"""A fast clock that remembers how far it got, so a restarted worker continues from there.

While no worker runs, simulated time stands still: a demo stopped for an hour does not jump a
year ahead when it starts again.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from goteo.campaigns import journey_clock
from goteo.campaigns.models import Setting
from goteo.engine.clock import SpeedClock

KEY = "fast_clock_position"
SAVE_EVERY = 1.0  # real seconds between saved positions


def resume_point() -> datetime:
    """Where a fast clock starts: the last saved position, or now if that is earlier."""
    saved = Setting.objects.filter(key=KEY).values_list("value", flat=True).first()
    real_now = datetime.now(UTC)
    return max(datetime.fromisoformat(saved), real_now) if saved else real_now


class StoredFastClock:
    """A SpeedClock started at the last saved position (or now); ``checkpoint()`` saves it."""

    def __init__(self, speed: float) -> None:
        self.clock = SpeedClock(real_anchor=time.time(), virtual_anchor=resume_point(), speed=speed)
        self._saved_at = 0.0
        journey_clock.publish(self.clock)  # the web side stamps events on this clock too

    def now(self) -> datetime:
        return self.clock.now()

    def checkpoint(self) -> None:
        if time.monotonic() - self._saved_at >= SAVE_EVERY:
            Setting.objects.update_or_create(key=KEY, defaults={"value": self.now().isoformat()})
            self._saved_at = time.monotonic()
