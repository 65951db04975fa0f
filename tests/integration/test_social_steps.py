"""Campaign steps that post (``send: social``), end to end: validated against the stored
accounts, written to the outbox, published once through the worker's shared path to a Mastodon
server on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.integration.flow_helpers import (
    T0,
    add_contacts,
    apply,
    campaign_source,
    write_pending_deliveries,
)
from tests.integration.social_servers import MASTODON_ACCOUNT, FakeMastodon

from goteo.actions.campaigns import do_set_campaign_status
from goteo.actions.enroll import do_enroll
from goteo.actions.social_calendars import do_apply_calendar
from goteo.campaigns.delivery_kinds import AUDIENCE
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.channels.configured import build_channels
from goteo.channels.email.composer import Composer, sender_from_settings
from goteo.channels.email.factory import email_channel
from goteo.cli import main
from goteo.config import email_settings
from goteo.engine.clock import ManualClock
from goteo.engine.problems import CampaignInvalid
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)

MILESTONE = [
    {"wait": "1d"},
    {"id": "celebrate", "send": "social", "account": "mastodon-en", "template": "milestone"},
]
TOKEN_ENV = "GOTEO_TEST_STEP_MASTODON_TOKEN"
TEMPLATES = {"milestone": {"en": {"text": "One more team finished {{ campaign.key }}!"}}}


@pytest.fixture
def mastodon(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMastodon]:
    server = FakeMastodon()
    monkeypatch.setenv(TOKEN_ENV, server.token)
    yield server
    server.stop()


def declare(server: FakeMastodon) -> None:
    calendar = MASTODON_ACCOUNT.format(server=server.url, token_env=TOKEN_ENV)
    do_apply_calendar(calendar, Path("."), T0)


def run(clock: ManualClock) -> None:
    transport = email_channel(email_settings("smtp://127.0.0.1:9?timeout=1"))  # unused
    worker = Worker(
        clock=clock, channels=build_channels(transport, Composer(sender_from_settings()))
    )
    try:
        while worker.run_once():
            pass
    finally:
        worker.close()


def enroll_ana() -> None:
    ids = add_contacts({"email": "ana@example.com", "first_name": "Ana", "locale": "en"})
    do_enroll("onboarding", ids.values(), T0)


def test_a_journey_milestone_is_posted_once_through_the_worker(mastodon: FakeMastodon) -> None:
    declare(mastodon)
    apply("onboarding", MILESTONE, TEMPLATES)
    enroll_ana()
    clock = ManualClock(T0)
    run(clock)
    assert mastodon.statuses == {}  # a day to wait first
    clock.advance(timedelta(days=1))
    run(clock)
    clock.advance(timedelta(days=1))
    run(clock)  # nothing more to do: still one post
    [status] = mastodon.statuses.values()
    assert status["content"] == "One more team finished onboarding!"
    assert mastodon.problems == []
    row = Delivery.objects.get(step_id="celebrate")
    assert (row.channel, row.kind, row.status, row.attempts) == (
        "social",
        AUDIENCE,
        DeliveryStatus.SENT,
        1,
    )
    assert (row.to_address, row.message_id) == ("mastodon:mastodon-en", status["url"])
    assert mastodon.accepted == [f"goteo-delivery-{row.id}"]


def test_a_paused_campaign_holds_its_post_until_it_resumes(mastodon: FakeMastodon) -> None:
    declare(mastodon)
    apply("onboarding", MILESTONE[1:], TEMPLATES)
    enroll_ana()
    assert write_pending_deliveries(T0) == 1
    do_set_campaign_status("onboarding", "paused")
    run(ManualClock(T0))
    row = Delivery.objects.get(step_id="celebrate")
    assert (row.status, row.attempts, mastodon.accepted) == (DeliveryStatus.PENDING, 0, [])
    do_set_campaign_status("onboarding", "active")
    run(ManualClock(T0))
    row.refresh_from_db()
    assert (row.status, len(mastodon.statuses)) == (DeliveryStatus.SENT, 1)


def refusal(steps: list[dict[str, Any]]) -> tuple[str, str]:
    with pytest.raises(CampaignInvalid) as info:
        apply("onboarding", steps, TEMPLATES)
    [problem] = info.value.problems
    return problem.path, problem.message


def test_apply_refuses_a_social_step_without_its_account(mastodon: FakeMastodon) -> None:
    assert refusal(MILESTONE) == (
        "steps[1].send",
        "social: no social account configured (declare one in a calendar: goteo social apply)",
    )
    declare(mastodon)
    assert refusal([MILESTONE[0], {**MILESTONE[1], "account": "mastodon-es"}]) == (
        "steps[1].account",
        "social: no account 'mastodon-es' is declared (declared: mastodon-en)",
    )
    assert apply("onboarding", MILESTONE, TEMPLATES) == 1


def test_simulate_shows_the_post_a_step_would_publish(
    mastodon: FakeMastodon, tmp_path: Path
) -> None:
    declare(mastodon)
    path = tmp_path / "onboarding.yaml"
    path.write_text(campaign_source("onboarding", MILESTONE, TEMPLATES), "utf-8")
    contact = '{"email": "ana@example.com"}'
    args = ["simulate", str(path), "--contact", contact, "--days", "2", "--json"]
    result = CliRunner().invoke(main, [*args, "--start", T0.isoformat()])
    assert result.exit_code == 0, result.output
    [post] = [e for e in json.loads(result.output) if e["kind"] == "send"]
    assert (post["channel"], post["subject"]) == (
        "social",
        "post from mastodon-en: One more team finished onboarding!",
    )
    assert mastodon.accepted == []  # simulating publishes nothing
