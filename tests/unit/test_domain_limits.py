"""Per-domain limits (the setting, the sliding window on the worker's clock) and the pause after
a provider's throttle answer: what the wire thread asks before a message's check."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from goteo.channels.base import Throttled
from goteo.config import ConfigError
from goteo.worker.admission import Admission
from goteo.worker.backoff import PAUSE
from goteo.worker.domain_limits import DomainLimit, DomainWindows, domain_of, parse_domain_limits
from goteo.worker.gate import Postpone
from goteo.worker.rate_limits import Throttle

T0 = datetime(2025, 3, 5, 14, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_parse() -> None:
    assert parse_domain_limits("") == {}
    assert parse_domain_limits("GMail.com:600/min, yahoo.com:20/s,example.org:100/10m") == {
        "gmail.com": DomainLimit(600, MINUTE),
        "yahoo.com": DomainLimit(20, timedelta(seconds=1)),
        "example.org": DomainLimit(100, timedelta(minutes=10)),
    }
    assert parse_domain_limits("a.com:5/h,b.com:1/day")["b.com"] == DomainLimit(1, timedelta(1))


@pytest.mark.parametrize(
    "bad",
    ["gmail.com", "gmail.com:600", "gmail.com:0/min", "gmail.com:x/min", ":5/s",
     "gmail.com:5/fortnight", "a@gmail.com:5/s", "gmail.com:-5/s"],
)  # fmt: skip
def test_a_bad_part_is_named(bad: str) -> None:
    with pytest.raises(
        ConfigError, match=f"GOTEO_DOMAIN_LIMITS: {re.escape(repr(bad))} must be domain:count/"
    ):
        parse_domain_limits(f"outlook.com:300/min,{bad}")


def test_a_domain_named_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"'gmail\.com' is named twice"):
        parse_domain_limits("gmail.com:1/s,GMAIL.com:2/s")


def test_the_domain_is_the_address_s_lower_cased() -> None:
    assert domain_of("Ana@Mail.GMail.com") == "mail.gmail.com"


def test_at_most_n_in_any_period_and_the_postponed_are_spread() -> None:
    windows = DomainWindows({"gmail.com": DomainLimit(2, MINUTE)})
    assert windows.take("example.com", T0) is None  # no limit: never held
    assert windows.take("gmail.com", T0) is None
    assert windows.take("gmail.com", T0 + timedelta(seconds=10)) is None
    # Full: the first is told when the oldest slot frees, the next ones half a minute apart.
    assert windows.take("gmail.com", T0 + timedelta(seconds=20)) == T0 + MINUTE
    assert windows.take("gmail.com", T0 + timedelta(seconds=20)) == T0 + MINUTE * 1.5
    assert windows.take("gmail.com", T0 + MINUTE) is None  # the first slot is free again
    # Full again: behind the two already given times, not at the next free slot (1:10).
    assert windows.take("gmail.com", T0 + MINUTE) == T0 + MINUTE * 2


def test_admission_pauses_a_throttled_channel_then_lets_it_go() -> None:
    now = [T0]
    admission = Admission(lambda: now[0], Throttle({}), {"gmail.com": DomainLimit(1, MINUTE)})
    assert admission.hold("email", "ana@gmail.com") is None
    held = admission.hold("email", "ben@GMAIL.com")
    assert held is not None and held.until == T0 + MINUTE
    assert admission.hold("email", "ana@example.com") is None  # other domains flow
    assert admission.hold("sms", "+34600000000") is None
    admission.throttled("sms", Throttled(1, "twilio 429", retry_after=20))
    paused = admission.hold("sms", "+34600000000")
    assert paused == Postpone(T0 + timedelta(seconds=20), "sms provider asked to slow down")
    now[0] = T0 + timedelta(seconds=20)
    assert admission.hold("sms", "+34600000000") is None


def test_with_no_domain_limits_admission_has_nothing_to_watch_until_a_throttle() -> None:
    admission = Admission(lambda: T0, Throttle({}))
    assert not admission.watching
    admission.throttled("webhook", Throttled(1, "HTTP 429"))
    assert admission.watching
    assert admission.hold("webhook", "https://crm.example/hook") == Postpone(
        T0 + PAUSE, "webhook provider asked to slow down"
    )
