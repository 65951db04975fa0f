"""The worker's progress line: every few seconds while work flows, what it did and what waits.

```
2026-03-05 14:00:05 INFO goteo.worker.progress: steps 20,000, sent 6,300 (1,260/s), retried 0,
failed 2, suppressed 0, postponed 0; backlog 13,700 due, lag 5s
```

The counts are the worker's totals since it started; the rate is over the last interval. The
backlog is every pending message due now (this worker's and others'), the lag how long the
oldest of them has been due, on the worker's clock. Nothing is printed while nothing happens.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from goteo.engine.durations import format_duration
from goteo.worker.outbox_state import Backlog, backlog

log = logging.getLogger(__name__)

COUNTS = ("steps_claimed", "sent", "retried", "failed", "suppressed", "postponed")
EVERY = 5.0  # seconds between lines, by default


class Counts(Protocol):
    steps_claimed: int
    sent: int
    retried: int
    failed: int
    suppressed: int
    postponed: int


def _snapshot(totals: Counts) -> tuple[int, ...]:
    return tuple(getattr(totals, name) for name in COUNTS)


def progress_line(
    counts: tuple[int, ...], sent_before: int, seconds: float, now_backlog: Backlog, now: datetime
) -> str:
    steps, sent, retried, failed, suppressed, postponed = counts
    rate = (sent - sent_before) / seconds if seconds > 0 else 0.0
    per_second = f"{rate:,.1f}" if rate < 10 else f"{rate:,.0f}"
    lag = format_duration(timedelta(seconds=round(now_backlog.lag(now).total_seconds())))
    return (
        f"steps {steps:,}, sent {sent:,} ({per_second}/s), retried {retried:,}, "
        f"failed {failed:,}, suppressed {suppressed:,}, postponed {postponed:,}; "
        f"backlog {now_backlog.due:,} due, lag {lag}"
    )


@dataclass
class Progress:
    """Logs a progress line at INFO at most every ``every`` seconds, when the counts moved."""

    every: float = EVERY  # 0 or less: never
    monotonic: Callable[[], float] = field(default=time.monotonic, repr=False)
    _at: float = field(default=0.0, init=False, repr=False)  # when the interval began
    _seen: tuple[int, ...] = field(default=(0,) * len(COUNTS), init=False, repr=False)

    def __post_init__(self) -> None:
        self._at = self.monotonic()

    def tick(self, totals: Counts, now: datetime) -> None:
        """Called by the worker after each batch; cheap unless a line is due."""
        if self.every <= 0:
            return
        t, counts = self.monotonic(), _snapshot(totals)
        if counts == self._seen:
            self._at = t  # nothing flowed: the next interval starts with the next work
            return
        if t - self._at < self.every:
            return
        sent_before = self._seen[COUNTS.index("sent")]
        log.info(progress_line(counts, sent_before, t - self._at, backlog(now), now))
        self._at, self._seen = t, counts
