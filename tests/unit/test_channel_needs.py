"""What a campaign asks of its channels, checked against what a configuration offers."""

from __future__ import annotations

import pytest
from tests.unit.test_engine_parser import line_of, problems_of, where, with_steps

from goteo.channels.registry import OfferedChannels
from goteo.engine.channel_needs import IDEMPOTENCY_KEY, TRACKING
from goteo.engine.parser import parse_campaign

EMAIL_ONLY = OfferedChannels(
    {"email": frozenset({TRACKING}), "webhook": frozenset({IDEMPOTENCY_KEY})}
)

WAITS_FOR_AN_OPEN = """
steps:
  - send: email
    template: welcome
  - wait_for: {event: opened, timeout: 2d}
    then: done
    else: done
  - id: done
    send: sms
    template: welcome
"""


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("mail", "mail: no print provider configured (GOTEO_MAIL_URL)"),
        ("sms", "sms: no SMS provider configured (GOTEO_SMS_URL)"),
        ("social", "social: no social account configured (GOTEO_SOCIAL_ACCOUNTS)"),
    ],
)
def test_a_channel_the_configuration_lacks_is_refused_at_its_line(
    channel: str, expected: str
) -> None:
    text = with_steps(
        f"steps:\n  - send: email\n    template: welcome\n  - send: {channel}\n"
        "    template: welcome\n"
    )

    problems = problems_of(text, check_channel=EMAIL_ONLY)

    assert where(problems) == {("steps[1].send", line_of(text, f"send: {channel}"))}
    assert problems[0].message == expected


def test_the_same_campaign_passes_where_the_channel_is_configured() -> None:
    text = with_steps("steps:\n  - send: sms\n    template: welcome\n")
    offered = OfferedChannels({"sms": frozenset()})

    assert parse_campaign(text, check_channel=offered).steps[0].id == "step-1"
    assert parse_campaign(text).steps[0].id == "step-1"  # without a check: not refused


def test_a_capability_the_channel_lacks_is_refused() -> None:
    text = with_steps(WAITS_FOR_AN_OPEN)
    untracked = OfferedChannels({"email": frozenset({TRACKING}), "sms": frozenset()})

    problems = problems_of(text, check_channel=untracked)

    assert where(problems) == {("steps[2].send", line_of(text, "send: sms"))}
    assert problems[0].message == (
        "sms: the campaign needs tracking, which this sms provider lacks"
    )
    tracked = OfferedChannels({"email": frozenset({TRACKING}), "sms": frozenset({TRACKING})})
    assert len(parse_campaign(text, check_channel=tracked).steps) == 3


def test_the_missing_channel_is_named_beside_the_other_problems() -> None:
    text = with_steps("steps:\n  - wait: 2 dayz\n  - send: mail\n    template: welcome\n")

    problems = problems_of(text, check_channel=EMAIL_ONLY)

    assert {p.path for p in problems} == {"steps[0].wait", "steps[1].send"}
