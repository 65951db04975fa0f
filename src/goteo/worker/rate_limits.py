"""Provider rate limits, the same for every channel: at most N messages a second per channel,
per worker (``GOTEO_RATE_LIMITS=email:50,webhook:5``). The sender thread waits for the next
slot before it opens a message's transaction, so a wait never holds the contact's lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from goteo.config import ConfigError


def parse_rate_limits(text: str) -> dict[str, float]:
    """``email:50,webhook:5`` -> {"email": 50.0, "webhook": 5.0}; empty means no limits."""
    limits: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition(":")
        try:
            rate = float(value)
        except ValueError:
            rate = 0.0
        if not sep or not name.strip() or not rate > 0:
            raise ConfigError(
                f"GOTEO_RATE_LIMITS: {part!r} must be channel:messages-per-second, like email:50"
            )
        limits[name.strip()] = rate
    return limits


MAX_CONNECTIONS = 32


def connection_count(text: str) -> int:
    """``GOTEO_EMAIL_CONNECTIONS``: how many connections a worker sends through, 1 to 32."""
    try:
        count = int(text.strip() or "1")
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_CONNECTIONS:
        raise ConfigError(
            f"GOTEO_EMAIL_CONNECTIONS: {text!r} must be a whole number from 1 to {MAX_CONNECTIONS}"
        )
    return count


class Throttle:
    """Spaces each channel's messages ``1 / rate`` seconds apart."""

    def __init__(
        self,
        limits: Mapping[str, float],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.intervals = {name: 1.0 / rate for name, rate in limits.items()}
        self.clock, self.sleep = clock, sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()  # the worker's connections share one limit

    def wait(self, channel: str) -> None:
        interval = self.intervals.get(channel)
        if interval is None:
            return
        with self._lock:  # take the next slot, then wait for it outside the lock
            now = self.clock()
            due = max(self._next.get(channel, now), now)
            self._next[channel] = due + interval
        if due > now:
            self.sleep(due - now)
