"""Channel configuration: what validate and apply refuse, and the shipped test providers
(``memory:`` and ``folder:``) of every channel, each a real provider."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from tests.integration.flow_helpers import T0, add_contacts, apply, simple_template
from tests.integration.procs import goteo

from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Campaign, Delivery, DeliveryStatus
from goteo.channels import webhook_sinks
from goteo.channels.configured import build_channels, offered, webhook_provider
from goteo.channels.email.composer import Composer, sender_from_settings
from goteo.channels.email.factory import email_channel
from goteo.channels.registry import Channels
from goteo.config import ConfigError, email_settings
from goteo.engine.clock import ManualClock
from goteo.engine.problems import CampaignInvalid
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)

SMS_CAMPAIGN = """key: texts
steps:
  - send: email
    template: hello
  - wait: 1d
  - send: sms
    template: hello
templates:
  hello:
    en: {subject: "Hello", html: "<p>Hello</p>"}
"""


def test_apply_refuses_a_channel_that_is_not_configured_with_its_line() -> None:
    with pytest.raises(CampaignInvalid) as info:
        apply_source(SMS_CAMPAIGN)
    [problem] = info.value.problems
    assert (problem.line, problem.path) == (6, "steps[2].send")
    assert problem.message == "sms: no SMS provider configured (GOTEO_SMS_URL)"
    assert not Campaign.objects.exists()  # refused whole


def apply_source(source: str) -> Any:
    return do_apply_campaign(source)


def memory_channels() -> Channels:
    return build_channels(
        email_channel(email_settings("memory:")), Composer(sender_from_settings())
    )


@pytest.mark.slow  # a real goteo process
def test_validate_names_the_missing_provider(goteo_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "texts.yaml"
    path.write_text(SMS_CAMPAIGN, encoding="utf-8")
    result = goteo(goteo_env, "campaign", "validate", str(path), check=False)
    assert result.returncode != 0
    assert "line 6: steps[2].send: sms: no SMS provider configured (GOTEO_SMS_URL)" in (
        result.stdout + result.stderr
    )


def test_offered_channels_and_their_providers(settings: Any) -> None:
    assert set(offered()) == {"email", "webhook"}
    settings.GOTEO_WEBHOOK_URL = "gopher://x"
    with pytest.raises(ConfigError, match="GOTEO_WEBHOOK_URL 'gopher://x' is not understood"):
        offered()


def run_campaign(worker_channels: Any, steps: list[dict[str, Any]]) -> Delivery:
    apply("trial", steps, {"hello": simple_template("Hello")})
    ids = add_contacts({"email": "ana@example.com", "first_name": "Ana", "locale": "en"})
    do_enroll("trial", ids.values(), T0)
    worker = Worker(clock=ManualClock(T0), channels=worker_channels)
    try:
        while worker.run_once():
            pass
    finally:
        worker.close()
    return Delivery.objects.get(step_id="hello")


def test_webhook_memory_provider_keeps_the_calls(settings: Any) -> None:
    webhook_sinks.MEMORY.calls.clear()
    settings.GOTEO_WEBHOOK_URL = "memory:"
    channels = build_channels(
        email_channel(email_settings("memory:")), Composer(sender_from_settings())
    )
    row = run_campaign(channels, [{"id": "hello", "webhook": {"url": "https://crm.example/h"}}])
    assert row.status == DeliveryStatus.SENT
    [call] = webhook_sinks.MEMORY.calls
    assert call.url == "https://crm.example/h" and row.to_address == "https://crm.example/h"
    assert json.loads(call.body)["contact"]["email"] == "ana@example.com"
    assert webhook_sinks.MEMORY.keys() == {f"goteo-delivery-{row.id}"}


def test_webhook_folder_provider_writes_each_call(settings: Any, tmp_path: Path) -> None:
    provider = webhook_provider(f"folder:{tmp_path / 'hooks'}")
    channels = build_channels(
        email_channel(email_settings("memory:")), Composer(sender_from_settings())
    )
    channels = Channels(channels["email"], provider)
    row = run_campaign(channels, [{"id": "hello", "webhook": {"url": "https://crm.example/h"}}])
    assert row.status == DeliveryStatus.SENT
    [written] = (tmp_path / "hooks").iterdir()
    assert written.name == f"goteo-delivery-{row.id}.json"
    assert json.loads(written.read_text())["type"] == "campaign.step"


def test_email_memory_and_folder_providers(tmp_path: Path) -> None:
    mail.outbox = []
    memory = build_channels(
        email_channel(email_settings("memory:")), Composer(sender_from_settings())
    )
    row = run_campaign(memory, [{"id": "hello", "send": "email", "template": "hello"}])
    assert row.status == DeliveryStatus.SENT
    assert [m.to for m in mail.outbox] == [['"Ana" <ana@example.com>']]
    folder = email_settings(f"folder:{tmp_path / 'mail'}")
    assert (folder.kind, folder.file_path) == ("file", str(tmp_path / "mail"))
