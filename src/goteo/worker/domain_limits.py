"""Per-domain limits for email: at most N messages per period to the recipients at a domain,
per worker (``GOTEO_DOMAIN_LIMITS=gmail.com:600/min,yahoo.com:20/s``).

The domain is the recipient address's, lower-cased, matched exactly: ``gmail.com`` does not
cover ``googlemail.com`` or a subdomain, so each is listed on its own. Sends are counted on the
worker's clock (the journeys' clock: the demo's fast clock, a test's manual clock), in a
sliding window: in any period, at most N. A message whose domain has no slot free is not
waited for: it is postponed (``admission.py``) to about when one frees, and the messages to
other domains keep flowing.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from goteo.config import ConfigError
from goteo.engine.durations import DurationError, parse_duration

_PERIODS = {
    "s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
    "d": 86400, "day": 86400,
}  # fmt: skip


@dataclass(frozen=True)
class DomainLimit:
    count: int
    period: timedelta

    def __str__(self) -> str:
        return f"{self.count} per {self.period.total_seconds():g} s"


def parse_domain_limits(text: str) -> dict[str, DomainLimit]:
    """``gmail.com:600/min,yahoo.com:20/s`` -> {"gmail.com": 600 per minute, …}; empty: none.

    A period is ``s``, ``min``, ``h`` or ``d``, or a duration such as ``10m`` or ``1h30m``."""
    limits: dict[str, DomainLimit] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        domain, _, rule = part.rpartition(":")
        domain = domain.strip().lower()
        limit = _limit(rule.strip())
        if limit is None or not domain or "@" in domain or " " in domain:
            raise ConfigError(
                f"GOTEO_DOMAIN_LIMITS: {part!r} must be domain:count/period, like gmail.com:600/min"
            )
        if domain in limits:
            raise ConfigError(f"GOTEO_DOMAIN_LIMITS: {domain!r} is named twice")
        limits[domain] = limit
    return limits


def _limit(rule: str) -> DomainLimit | None:
    count, sep, period = rule.partition("/")
    if not sep or not count.strip().isdigit() or int(count) < 1:
        return None
    period = period.strip().lower()
    seconds = _PERIODS.get(period)
    if seconds is not None:
        return DomainLimit(int(count), timedelta(seconds=seconds))
    try:
        return DomainLimit(int(count), parse_duration(period))
    except DurationError:
        return None


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


class DomainWindows:
    """The recent sends to each limited domain, and where its postponed messages queue.

    Not thread-safe: the caller holds a lock."""

    def __init__(self, limits: dict[str, DomainLimit]) -> None:
        self.limits = limits
        self._sent: dict[str, deque[datetime]] = {domain: deque() for domain in limits}
        self._queued: dict[str, datetime] = {}  # the last time a postponed message was given

    def take(self, domain: str, now: datetime) -> datetime | None:
        """Take a slot for a message to ``domain`` at ``now``: None when it may go, or the
        time to try it again. Postponed messages are spread one ``period / count`` apart
        from the first free slot, so they do not all come back at once."""
        limit = self.limits.get(domain)
        if limit is None:
            return None
        sent = self._sent[domain]
        start = now - limit.period
        while sent and sent[0] <= start:
            sent.popleft()
        if len(sent) < limit.count:
            sent.append(now)
            return None
        free = sent[0] + limit.period
        tail = self._queued.get(domain)
        until = free if tail is None else max(free, tail + limit.period / limit.count)
        self._queued[domain] = until
        return until
