"""Hard or soft, as each provider labels a bounce; and the webhook settings from GOTEO_*."""

from __future__ import annotations

from typing import Any

import pytest

from goteo.channels.email.bounce_labels import bounce_label
from goteo.channels.email.webhook_config import webhook_settings


@pytest.mark.parametrize(
    ("provider", "raw", "expected"),
    [
        ("postmark", {"Type": "HardBounce"}, "hard"),
        ("postmark", {"Type": "SoftBounce"}, "soft"),
        ("mandrill", {"event": "hard_bounce"}, "hard"),
        ("mandrill", {"event": "soft_bounce"}, "soft"),
        ("brevo", {"event": "invalid_email"}, "hard"),
        ("brevo", {"event": "soft_bounce"}, "soft"),
        ("mailersend", {"data": {"type": "soft_bounced"}}, "soft"),
        ("mailgun", {"event-data": {"severity": "permanent"}}, "hard"),
        ("mailgun", {"event-data": {"severity": "temporary"}}, "soft"),
        ("mailgun", {"event-data": {"severity": "permanent", "reason": "old"}}, "soft"),
        ("sendgrid", {"type": "blocked"}, "soft"),
        ("resend", {"data": {"bounce": {"type": "Transient"}}}, "soft"),
        ("mailjet", {"hard_bounce": False}, "soft"),
        ("mailjet", {"hard_bounce": True}, "hard"),
        ("sparkpost", {"msys": {"message_event": {"bounce_class": "22"}}}, "soft"),
        ("sparkpost", {"msys": {"message_event": {"bounce_class": "10"}}}, "hard"),
        ("postal", {"payload": {"status": "HardFail"}}, "hard"),
        ("postal", {"payload": {"status": "SoftFail"}}, ""),
    ],
)
def test_the_providers_own_label_comes_first(provider: str, raw: Any, expected: str) -> None:
    # The MTA response says otherwise: the provider's label still wins when it gives one.
    contrary = "452 4.2.2 full" if expected == "hard" else "550 5.1.1 unknown"
    got = bounce_label(provider, raw, contrary if expected else "", "")
    assert got == expected


def test_then_the_smtp_code_then_the_reject_reason() -> None:
    assert bounce_label("mailtrap", {}, "550 5.1.1 unknown", "other") == "hard"
    assert bounce_label("mailtrap", {}, "421 try later", "bounced") == "soft"
    assert bounce_label("mailtrap", {}, "", "bounced") == "hard"
    assert bounce_label("mailtrap", {}, "", "timed_out") == "soft"
    assert bounce_label("mailtrap", [], "", "") == ""


def test_webhook_settings_from_the_environment() -> None:
    assert webhook_settings({}) == {}
    env = {
        "GOTEO_WEBHOOK_SECRET": "hooks:new-pass, hooks:old-pass",
        "GOTEO_MAILGUN_WEBHOOK_SIGNING_KEY": "key-1",
        "GOTEO_MAILTRAP_WEBHOOK_SIGNING_KEY": " mt ",
        "GOTEO_POSTAL_WEBHOOK_KEY": "",
    }
    assert webhook_settings(env) == {
        "WEBHOOK_SECRET": ["hooks:new-pass", "hooks:old-pass"],
        "MAILGUN_WEBHOOK_SIGNING_KEY": "key-1",
        "MAILTRAP_TRACKING_SECRET": "mt",
    }
