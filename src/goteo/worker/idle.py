"""``goteo worker --until-idle``: what is left once nothing is due, and waiting for retries.

Once nothing is due the worker may still have work coming: messages waiting for a retry after
a temporary failure, messages postponed by quiet hours or a frequency cap, journeys whose next
step is due later. ``describe`` says what and when; ``run_until_settled`` (``--wait-retries``)
keeps working until no message waits for a retry or a postponement, within a bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from goteo.engine.durations import format_duration
from goteo.worker.loop import Worker
from goteo.worker.outbox_state import Waiting, waiting

LONGEST_NAP = 1.0  # real seconds between looks while waiting (the clock may run fast)
SHORTEST_NAP = 0.05


def run_until_settled(
    worker: Worker,
    max_wait: float,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> Waiting:
    """Work until no message waits for a retry or a postponement, or until ``max_wait`` real
    seconds have passed; what is left then."""
    deadline = monotonic() + max_wait
    try:
        while True:
            if worker.run_once():
                continue
            now = worker.clock.now()
            left = waiting(now)
            due, remaining = left.next_message, deadline - monotonic()
            if due is None or remaining <= 0:
                return left
            until_due = (due - now).total_seconds()
            sleep(min(max(until_due, SHORTEST_NAP), LONGEST_NAP, remaining))
    finally:
        worker.close()


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _when(at: datetime | None, now: datetime) -> str:
    if at is None:
        return ""
    wait = format_duration(timedelta(seconds=max(round((at - now).total_seconds()), 0)))
    return f", the next due {at:%Y-%m-%d %H:%M:%S} UTC (in {wait})"


def describe(left: Waiting, now: datetime) -> str:
    """One line: ``left: 20,000 messages waiting to be retried, the next due … (in 58s); …``."""
    parts = []
    if left.retrying:
        what = _count(left.retrying, "message waiting", "messages waiting")
        parts.append(f"{what} to be retried{_when(left.next_retry, now)}")
    if left.postponed:
        what = _count(left.postponed, "message", "messages")
        when = _when(left.next_postponed, now)
        parts.append(f"{what} postponed (pacing, domain limits, throttling){when}")
    if left.held:
        parts.append(f"{_count(left.held, 'message', 'messages')} held by paused campaigns")
    if left.journeys:
        what = _count(left.journeys, "journey", "journeys")
        parts.append(f"{what} waiting for a later step{_when(left.next_step, now)}")
    return "left: " + "; ".join(parts) if parts else "nothing left to do"


__all__ = ["Waiting", "describe", "run_until_settled", "waiting"]
