"""Whether a claimed message may go to its provider now, or must be postponed: asked on the
wire thread before the message's check, for the limits that are not the contact's.

- A channel whose provider answered "too fast" (``channels.base.Throttled``) is paused until
  the provider's ``Retry-After`` (or ``backoff.throttle_pause``'s default), and slowed down
  (``rate_limits.Throttle.slow_down``).
- Email to a domain with a limit (``GOTEO_DOMAIN_LIMITS``) goes only while the domain has a
  slot free (``domain_limits.py``).

A message held here is postponed: given back with a short ``next_attempt_at``, its lease
released and the claim not counted as an attempt, so a wire thread never sleeps for one domain
or one paused provider while messages to others wait behind it. Times are the worker's clock
(the journeys' clock), like every ``next_attempt_at``. With no domain limits and no pause in
force, ``watching`` is False and nothing here runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime

from goteo.channels.base import Throttled
from goteo.worker.backoff import throttle_pause
from goteo.worker.domain_limits import DomainLimit, DomainWindows, domain_of
from goteo.worker.gate import Postpone
from goteo.worker.rate_limits import Throttle

log = logging.getLogger(__name__)

EMAIL = "email"  # the channel domain limits apply to


class Admission:
    def __init__(
        self,
        clock: Callable[[], datetime],
        throttle: Throttle,
        domain_limits: Mapping[str, DomainLimit] | None = None,
    ) -> None:
        self.clock = clock
        self.throttle = throttle
        self.domains = DomainWindows(dict(domain_limits)) if domain_limits else None
        self._paused: dict[str, datetime] = {}  # channel -> until
        self._lock = threading.Lock()  # the worker's connections share the limits
        self.watching = self.domains is not None  # False: ``hold`` has nothing to say

    def hold(self, channel: str, address: str) -> Postpone | None:
        """None: the message may go (a domain slot, if any, is taken); or when to retry it."""
        with self._lock:
            now = self.clock()
            until = self._paused.get(channel)
            if until is not None:
                if now < until:
                    return Postpone(until, f"{channel} provider asked to slow down")
                del self._paused[channel]
                self.watching = self.domains is not None or bool(self._paused)
            if self.domains is None or channel != EMAIL:
                return None
            domain = domain_of(address)
            free = self.domains.take(domain, now)
            if free is None:
                return None
            limit = self.domains.limits[domain]
            return Postpone(free, f"{domain}: at most {limit} (GOTEO_DOMAIN_LIMITS)")

    def throttled(self, channel: str, result: Throttled) -> None:
        """The provider answered "too fast": pause the channel and slow it down."""
        rate = self.throttle.slow_down(channel)
        with self._lock:
            until = self.clock() + throttle_pause(result.retry_after)
            before = self._paused.get(channel)
            until = max(until, before or until)  # an earlier answer may have asked for longer
            self._paused[channel] = until
            self.watching = True
        if before is not None:
            return  # the same pause: said once
        log.warning(
            "%s: the provider asked to slow down (%s); paused until %s, then %.3g a second",
            channel, result.reason, until.isoformat(timespec="seconds"), rate,
        )  # fmt: skip
