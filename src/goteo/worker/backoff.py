"""Retry timing for temporary failures: exponential, capped, with jitter; and the wait after
a provider's throttle answer (its ``Retry-After``, or ``PAUSE``), which uses up no attempt."""

from __future__ import annotations

import random
from datetime import timedelta

MAX_ATTEMPTS = 10
BASE = timedelta(minutes=1)
CAP = timedelta(hours=6)
PAUSE = timedelta(seconds=10)  # after a throttle answer with no hint of how long to wait
SHORTEST = timedelta(seconds=1)


def retry_delay(attempt: int, rng: random.Random | None = None) -> timedelta:
    """Delay before attempt ``attempt + 1`` (1 min, 2, 4 … capped at 6 h, ±10%)."""
    doublings: int = 2 ** max(attempt - 1, 0)
    raw = min(BASE * doublings, CAP)
    jitter = rng.uniform(0.9, 1.1) if rng is not None else random.uniform(0.9, 1.1)
    return raw * jitter


def throttle_pause(retry_after: float | None) -> timedelta:
    """How long a throttled message (and its channel) waits: the provider's hint, between a
    second and ``CAP``, or ``PAUSE`` without one."""
    if retry_after is None:
        return PAUSE
    seconds = min(max(retry_after, SHORTEST.total_seconds()), CAP.total_seconds())
    return timedelta(seconds=seconds)
