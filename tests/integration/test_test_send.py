"""Test send: a campaign's email messages to seed addresses, through the outbox and the real
worker to the loopback SMTP server, counted nowhere and harmless to the sample contact."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from django.utils import timezone
from tests.integration.console_helpers import signed_in
from tests.integration.flow_helpers import Inbox, add_contacts, apply, html_of, run_now, text_of
from tests.smtp_sink import SmtpSink

from goteo.accounts.models import AuditEntry
from goteo.actions.suppression import do_suppress
from goteo.campaigns.activity import messages_per_channel
from goteo.campaigns.models import Campaign, Delivery, Enrollment, Exposure
from goteo.campaigns.reports import campaign_report
from goteo.campaigns.time_series import daily_series
from goteo.cli import main
from goteo.contacts.models import Contact
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)

STEPS: list[dict[str, Any]] = [
    {"id": "hello", "send": "email", "template": "hello"},
    {"wait": "2d"},
    {"id": "offer", "send": "email", "template": "offer"},
]
TEMPLATES = {
    "hello": {
        "en": {
            "subject": "Hello {{ contact.first_name | default: 'friend' }}",
            "html": "<p>Hi {{ contact.first_name | default: 'friend' }}, see "
            "<a href='https://shop.example.com/new'>what is new</a>.</p>"
            "<p><a href='{{ unsubscribe_url }}'>Unsubscribe</a></p>",
        },
        "es": {
            "subject": "Hola {{ contact.first_name | default: 'amigo' }}",
            "html": "<p>Hola.</p><p><a href='{{ unsubscribe_url }}'>Baja</a></p>",
        },
    },
    "offer": {"en": {"subject": "An offer", "html": "<p>10% off.</p>"}},
}


@pytest.fixture
def drip(worker: Worker) -> dict[str, int]:
    apply("drip", STEPS, TEMPLATES)
    return add_contacts({"email": "ana@example.com", "first_name": "Ana", "locale": "en"})


def counts() -> dict[str, Any]:
    now = timezone.now()
    return {
        "report": campaign_report("drip"),
        "exposures": Exposure.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "dashboard": [(c.channel, c.today, c.week) for c in messages_per_channel(now)],
        "series": [(d.channel, d.sends) for d in daily_series(now, 7).rows],
    }


def unsubscribe_link(html: str) -> str:
    found = re.search(r"href=['\"](http[^'\"]*/u/[^'\"]*)['\"]", html)
    assert found, html
    return found[1]


def test_a_test_send_arrives_marked_and_counts_nowhere(
    drip: dict[str, int], worker: Worker, smtp_sink: SmtpSink
) -> None:
    inbox = Inbox(smtp_sink)
    before = counts()
    client = signed_in("editor")
    posted = {"seeds": "qa@example.org, Boss@Example.org", "sample": "ana@example.com"}
    response = client.post("/app/campaigns/drip/test-send", posted)
    assert response.status_code == 302 and response["Location"].endswith("tested=4#test-send")
    run_now(worker)
    messages = inbox.new()
    got = sorted((m["to"].addresses[0].addr_spec, str(m["subject"])) for m in messages)
    assert got == [
        ("boss@example.org", "[Test] An offer"),
        ("boss@example.org", "[Test] Hello Ana"),
        ("qa@example.org", "[Test] An offer"),
        ("qa@example.org", "[Test] Hello Ana"),
    ]
    hello = next(m for m in messages if "Hello" in str(m["subject"]))
    html, text = html_of(hello), text_of(hello)
    assert "This is a test of Drip, rendered for ana@example.com" in text
    assert 'data-goteo-test="1"' in html and "https://shop.example.com/new" in html  # untracked
    assert "/o/" not in html and "List-Unsubscribe" not in hello
    # The message's unsubscribe link names no one: following it unsubscribes nobody.
    link = unsubscribe_link(html)
    path = link.split("://", 1)[1].partition("/")[2]
    assert Client().post(f"/{path}").status_code == 404
    assert Contact.objects.get(email="ana@example.com").status == "active"
    assert counts() == before  # reports, exposures, enrolments, dashboard, charts: unchanged
    assert not Enrollment.objects.filter(contact__email="ana@example.com").exists()
    assert Campaign.objects.get(key="drip").test_seeds == ["qa@example.org", "boss@example.org"]
    page = client.get("/app/campaigns/drip").content.decode()
    assert 'value="qa@example.org, boss@example.org"' in page  # offered again next time
    entry = AuditEntry.objects.get(action="campaign.test_send")
    assert entry.actor == "user:editor@example.com" and entry.after is not None
    assert entry.after["messages"] == 4 and entry.after["sample"] == "ana@example.com"


def test_a_suppressed_seed_is_refused_and_a_made_up_sample_shows_the_defaults(
    drip: dict[str, int], worker: Worker, smtp_sink: SmtpSink
) -> None:
    do_suppress("blocked@example.org", "manual")
    inbox = Inbox(smtp_sink)
    runner = CliRunner()
    out = runner.invoke(
        main,
        ["campaign", "test-send", "drip", "--to", "ok@example.org,blocked@example.org",
         "--step", "hello", "--locale", "es", "--json"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["steps"] == [{"id": "hello", "locale": "es"}]
    run_now(worker)
    got = [(m["to"].addresses[0].addr_spec, str(m["subject"])) for m in inbox.new()]
    assert got == [("ok@example.org", "[Test] Hola amigo")]
    blocked = Delivery.objects.get(to_address="", kind="test", status="suppressed")
    assert "seed address suppressed" in blocked.last_error
    assert AuditEntry.objects.get(action="campaign.test_send").actor == "cli"


def test_the_editor_tests_the_unsaved_text_without_saving_it(
    drip: dict[str, int], worker: Worker, smtp_sink: SmtpSink
) -> None:
    inbox = Inbox(smtp_sink)
    client = signed_in("editor")
    source = Campaign.objects.get(key="drip").current_version.source  # type: ignore[union-attr]
    draft = source.replace('"An offer"', '"A better offer"')
    posted = {"source": draft, "seeds": "qa@example.org", "step": "offer"}
    response = client.post("/app/campaigns/drip/test-send-draft", posted)
    assert response.status_code == 200 and 'id="test-sent"' in response.content.decode()
    run_now(worker)
    assert [str(m["subject"]) for m in inbox.new()] == ["[Test] A better offer"]
    assert Campaign.objects.get(key="drip").current_version.number == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"seeds": ""}, "seeds", "give one to ten email addresses"),
        ({"seeds": "qa@example.org, not-an-address"}, "seeds", "'not-an-address'"),
        ({"seeds": ",".join(f"s{n}@example.org" for n in range(11))}, "seeds", "at most 10"),
        ({"seeds": "qa@example.org", "step": "nope"}, "step", "not an email step"),
        ({"seeds": "qa@example.org", "sample": "nobody@example.com"}, "sample", "no contact"),
        ({"seeds": "qa@example.org", "locale": "e$"}, "locale", "is not a locale"),
    ],
)
def test_bad_fields_are_named_and_nothing_is_queued(
    drip: dict[str, int], fields: dict[str, str], field: str, message: str
) -> None:
    response = signed_in("editor").post("/app/campaigns/drip/test-send", fields)
    assert response.status_code == 400
    page = response.content.decode()
    error = re.search(rf'id="test-{field}-error">([^<]*)<', page)
    assert error and message in error[1].replace("&#x27;", "'"), page
    assert not Delivery.objects.filter(kind="test").exists()
    assert not AuditEntry.objects.filter(action="campaign.test_send").exists()


def test_a_viewer_has_no_form_and_cannot_post_one(drip: dict[str, int]) -> None:
    viewer = signed_in("viewer")
    assert 'id="test-send"' not in viewer.get("/app/campaigns/drip").content.decode()
    for url in ("/app/campaigns/drip/test-send", "/app/campaigns/drip/test-send-draft"):
        assert viewer.post(url, {"seeds": "qa@example.org", "source": "x"}).status_code == 403
    assert not Delivery.objects.filter(kind="test").exists()
    assert 'id="test-send"' in signed_in("editor").get("/app/campaigns/drip").content.decode()
