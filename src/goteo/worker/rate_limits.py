"""Provider rate limits, the same for every channel: at most N messages a second per channel,
per worker (``GOTEO_RATE_LIMITS=email:50,webhook:5``). The sender thread waits for the next
slot before it opens a message's transaction, so a wait never holds the contact's lock.

A provider's throttle answer (``channels.base.Throttled``) slows its channel down
(``slow_down``): the rate halves, from its limit (or from ``SLOW_START`` for a channel with no
limit), at most once a second and down to a sixteenth; after each ``RECOVER_AFTER`` seconds
with no throttle answer it doubles back, until the slowdown ends. A channel that is neither
limited nor slowed costs one dictionary lookup per message.
"""

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


SLOW_START = 20.0  # messages a second: where a channel with no limit of its own slows from
DEEPEST = 16  # a throttled channel slows to a sixteenth of its rate at most
RECOVER_AFTER = 30.0  # seconds with no throttle answer before the rate doubles back
AGAIN_AFTER = 1.0  # throttle answers this soon after a slowdown are the same burst: no new cut


class Throttle:
    """Spaces each channel's messages ``1 / rate`` seconds apart."""

    def __init__(
        self,
        limits: Mapping[str, float],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = dict(limits)
        # The spacing in force per channel: its limit's, or a slowdown's; none: no wait.
        self.intervals = {name: 1.0 / rate for name, rate in limits.items()}
        self.clock, self.sleep = clock, sleep
        self._next: dict[str, float] = {}
        self._slowed: dict[str, tuple[int, float]] = {}  # channel -> (divisor, since)
        self._lock = threading.Lock()  # the worker's connections share one limit

    def slow_down(self, channel: str) -> float:
        """The provider answered "too fast": halve the channel's rate. Returns the new rate."""
        with self._lock:
            now = self.clock()
            divisor, since = self._slowed.get(channel, (1, now - AGAIN_AFTER))
            if now - since >= AGAIN_AFTER:
                divisor, since = min(divisor * 2, DEEPEST), now
            self._slowed[channel] = (divisor, since)
            rate = self.limits.get(channel, SLOW_START) / divisor
            self.intervals[channel] = 1.0 / rate
            return rate

    def rate(self, channel: str) -> float | None:
        """The messages a second the channel is spaced to now; None: not limited."""
        interval = self.intervals.get(channel)
        return None if interval is None else 1.0 / interval

    def wait(self, channel: str) -> None:
        interval = self.intervals.get(channel)
        if interval is None:
            return
        with self._lock:  # take the next slot, then wait for it outside the lock
            now = self.clock()
            if channel in self._slowed:
                interval = self._recover(channel, now)
                if interval is None:
                    return
            due = max(self._next.get(channel, now), now)
            self._next[channel] = due + interval
        if due > now:
            self.sleep(due - now)

    def _recover(self, channel: str, now: float) -> float | None:
        """Under the lock: the slowed channel's spacing, doubled back once per quiet
        ``RECOVER_AFTER``; its own limit's (None without one) once the slowdown is over."""
        divisor, since = self._slowed[channel]
        steps = int((now - since) // RECOVER_AFTER)
        if steps:
            divisor >>= steps
            if divisor == 0:  # recovered: back to the channel's own limit, if any
                del self._slowed[channel]
                rate = self.limits.get(channel)
                if rate is None:
                    del self.intervals[channel]
                    return None
                self.intervals[channel] = 1.0 / rate
                return self.intervals[channel]
            self._slowed[channel] = (divisor, since + steps * RECOVER_AFTER)
            self.intervals[channel] = divisor / self.limits.get(channel, SLOW_START)
        return self.intervals[channel]
