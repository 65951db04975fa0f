"""Per-channel rate limits, on a fake monotonic clock."""

from __future__ import annotations

import pytest

from goteo.config import ConfigError
from goteo.worker.rate_limits import (
    AGAIN_AFTER,
    DEEPEST,
    RECOVER_AFTER,
    SLOW_START,
    Throttle,
    parse_rate_limits,
)


def test_parse() -> None:
    assert parse_rate_limits("") == {}
    assert parse_rate_limits("email:50, webhook:0.5") == {"email": 50.0, "webhook": 0.5}
    for bad in ("email", "email:0", "email:-1", ":5", "email:fast"):
        with pytest.raises(ConfigError, match=f"GOTEO_RATE_LIMITS: '{bad}' must be"):
            parse_rate_limits(bad)


def test_each_channel_is_spaced_on_its_own() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    throttle = Throttle({"webhook": 4.0}, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        throttle.wait("webhook")
        throttle.wait("email")  # not limited: never waits
    assert slept == [0.25, 0.25]
    now[0] += 10  # idle for a while: the next one goes at once
    throttle.wait("webhook")
    assert slept == [0.25, 0.25]


def test_a_throttle_answer_halves_the_rate_and_quiet_brings_it_back() -> None:
    now = [100.0]
    throttle = Throttle({"webhook": 8.0}, clock=lambda: now[0], sleep=lambda s: None)
    assert throttle.slow_down("webhook") == 4.0
    assert throttle.slow_down("webhook") == 4.0  # the same burst of answers: one cut
    now[0] += AGAIN_AFTER
    assert throttle.slow_down("webhook") == 2.0
    for _ in range(10):
        now[0] += AGAIN_AFTER
        throttle.slow_down("webhook")
    assert throttle.rate("webhook") == 8.0 / DEEPEST  # never slower than that
    now[0] += RECOVER_AFTER  # each quiet stretch doubles it back
    throttle.wait("webhook")
    assert throttle.rate("webhook") == 8.0 / (DEEPEST / 2)
    now[0] += 10 * RECOVER_AFTER
    throttle.wait("webhook")
    assert throttle.rate("webhook") == 8.0  # back to its own limit, and no further


def test_a_channel_with_no_limit_slows_from_the_start_rate_then_goes_free() -> None:
    now = [100.0]
    slept: list[float] = []
    throttle = Throttle({}, clock=lambda: now[0], sleep=slept.append)
    assert throttle.rate("email") is None
    assert throttle.slow_down("email") == SLOW_START / 2
    throttle.wait("email")
    throttle.wait("email")
    assert slept == [pytest.approx(2 / SLOW_START)]
    now[0] += RECOVER_AFTER
    throttle.wait("email")
    assert throttle.rate("email") == SLOW_START
    now[0] += RECOVER_AFTER
    throttle.wait("email")
    assert throttle.rate("email") is None and "email" not in throttle.intervals
