"""The time journeys run on, for the web side: events it stamps line up with the worker.

A real-time worker runs on the system clock, and so does the web. A fast-clock worker
(``goteo worker --speed N``, the demo) publishes its anchor (real start, virtual start,
speed) in the settings table; every web process then computes the very same virtual time, so
an ``added_to_cart`` sent to the events API lands in the journey's present, not days in its
past. A real-time worker withdraws the anchor when it starts.

Only the behaviour inputs read this clock (events, tracking, opens and clicks, hot leads):
consent records and form submissions keep the real time, which is what they must prove.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

from goteo.campaigns.models import Setting
from goteo.engine.clock import Clock, SpeedClock

KEY = "fast_clock_anchor"
REREAD_SECONDS = 1.0

_override: Clock | None = None
_cached: tuple[float, SpeedClock | None] = (-REREAD_SECONDS, None)


def publish(clock: SpeedClock) -> None:
    anchor = {
        "real": clock.real_anchor,
        "virtual": clock.virtual_anchor.isoformat(),
        "speed": clock.speed,
    }
    Setting.objects.update_or_create(key=KEY, defaults={"value": json.dumps(anchor)})


def withdraw() -> None:
    Setting.objects.filter(key=KEY).delete()


def now() -> datetime:
    """The journeys' current time, read by the web side."""
    global _cached
    if _override is not None:
        return _override.now()
    read_at, clock = _cached
    if time.monotonic() - read_at >= REREAD_SECONDS:
        clock = _load()
        _cached = (time.monotonic(), clock)
    return clock.now() if clock is not None else timezone.now()


def _load() -> SpeedClock | None:
    value = Setting.objects.filter(key=KEY).values_list("value", flat=True).first()
    if value is None:
        return None
    anchor = json.loads(value)
    return SpeedClock(
        real_anchor=float(anchor["real"]),
        virtual_anchor=datetime.fromisoformat(anchor["virtual"]),
        speed=float(anchor["speed"]),
    )


@contextmanager
def running_on(clock: Clock) -> Iterator[None]:
    """Make this process's web side read ``clock`` (a worker and a web server in one process:
    tests on a manual clock)."""
    global _override
    previous, _override = _override, clock
    try:
        yield
    finally:
        _override = previous
