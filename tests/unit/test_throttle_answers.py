"""Reading a provider's "too fast": SMTP replies, ``Retry-After``, and the wait it means."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

import pytest

from goteo.channels.email.smtp_throttling import hint, is_throttle
from goteo.channels.retry_after import retry_after, throttled_status
from goteo.worker.backoff import CAP, PAUSE, throttle_pause


@pytest.mark.parametrize(
    ("code", "text", "throttle"),
    [
        (421, "4.7.0 Too many messages, closing connection", True),
        (421, "Service not available", True),
        (421, "4.4.2 Error: timeout exceeded", False),  # an idle connection dropped
        (451, "4.7.28 rate limited", True),
        (450, "4.7.1 Please try again later", True),
        (452, "Too many messages from your IP, slow down", True),
        (454, "Throttling failure: Maximum sending rate exceeded.", True),
        (451, "4.3.0 Temporary lookup failure", False),
        (451, "4.3.0 try again later", False),  # most temporary failures say so
        (452, "4.2.2 Mailbox full", False),
        (550, "5.7.28 rate limited", False),  # a 5xx is permanent, whatever it says
    ],
)
def test_smtp_throttle_answers(code: int, text: str, throttle: bool) -> None:
    assert is_throttle(code, text) is throttle


def test_smtp_hints() -> None:
    assert hint("4.7.28 rate limited, try again in 30 seconds") == 30.0
    assert hint("retry after 5 minutes") == 300.0
    assert hint("4.7.0 try again later") is None


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after("120") == 120.0
    assert retry_after(" 1.5 ") == 1.5
    now = parsedate_to_datetime("Wed, 05 Mar 2025 14:00:00 GMT")
    date = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert retry_after(date, now=now.timestamp()) == 90.0
    assert retry_after(format_datetime(now, usegmt=True), now=now.timestamp() + 5) == 0.0
    for unreadable in (None, "", "soon", "nan", "Wed, 05 Mar 2025 14:00:00"):
        assert retry_after(unreadable) is None, unreadable


def test_which_http_answers_are_throttles() -> None:
    assert throttled_status(429, None) and throttled_status(503, "10")
    assert not throttled_status(503, None) and not throttled_status(500, "10")


def test_the_wait_is_the_hint_within_bounds() -> None:
    assert throttle_pause(None) == PAUSE
    assert throttle_pause(30) == timedelta(seconds=30)
    assert throttle_pause(0) == timedelta(seconds=1)
    assert throttle_pause(1e300) == CAP
