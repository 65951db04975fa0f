"""Retry timing for temporary failures: exponential, capped, with jitter."""

from __future__ import annotations

import random
from datetime import timedelta

MAX_ATTEMPTS = 10
BASE = timedelta(minutes=1)
CAP = timedelta(hours=6)


def retry_delay(attempt: int, rng: random.Random | None = None) -> timedelta:
    """Delay before attempt ``attempt + 1`` (1 min, 2, 4 … capped at 6 h, ±10%)."""
    doublings: int = 2 ** max(attempt - 1, 0)
    raw = min(BASE * doublings, CAP)
    jitter = rng.uniform(0.9, 1.1) if rng is not None else random.uniform(0.9, 1.1)
    return raw * jitter
