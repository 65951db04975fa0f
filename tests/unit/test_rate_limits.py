"""Per-channel rate limits, on a fake monotonic clock."""

from __future__ import annotations

import pytest

from goteo.config import ConfigError
from goteo.worker.rate_limits import Throttle, parse_rate_limits


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
