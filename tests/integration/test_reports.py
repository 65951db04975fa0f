"""Campaign reports: the numbers, the lift against the holdout, exposures; the CLI and the API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from tests.integration.test_openapi import problems

from goteo.actions.attribution import attribute_conversions
from goteo.campaigns.exposures import record_delivery
from goteo.campaigns.models import Campaign, CampaignVersion, Delivery, Enrollment
from goteo.campaigns.reports import campaign_report
from goteo.campaigns.versions import checksum
from goteo.cli import main
from goteo.contacts.event_facts import EventFact
from goteo.contacts.models import Contact, Event

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
AUTH = {"Authorization": "Bearer test-api-key"}
SOURCE = """
key: spring
name: Spring sale
goal: {event: purchase, within: 10d}
steps:
  - send: email
    template: hello
"""

pytestmark = pytest.mark.django_db


def make_campaign(key: str, source: str) -> Campaign:
    campaign = Campaign.objects.create(key=key, name=key.title())
    version = CampaignVersion.objects.create(
        campaign=campaign, number=1, source=source, checksum=checksum(source)
    )
    Campaign.objects.filter(id=campaign.id).update(current_version=version)
    campaign.refresh_from_db()
    return campaign


def enroll(campaign: Campaign, contact: Contact, variant: str) -> Enrollment:
    assert campaign.current_version is not None
    return Enrollment.objects.create(
        contact=contact,
        campaign=campaign,
        version=campaign.current_version,
        state={},
        enrolled_at=T0,
        variant=variant,
    )


def deliver(journey: Enrollment, step: str, at: datetime, **fields: Any) -> Delivery:
    """A message as the worker leaves it: sent ones recorded in the exposure ledger too."""
    values: dict[str, Any] = {"status": "sent", "sent_at": at} | fields
    delivery = Delivery.objects.create(
        contact_id=journey.contact_id,
        enrollment=journey,
        campaign_id=journey.campaign_id,
        step_id=step,
        channel="email",
        template="hello",
        locale="en",
        next_attempt_at=at,
        created_at=at,
        **values,
    )
    if delivery.status == "sent":
        row = {"id": delivery.id, "contact_id": delivery.contact_id, "kind": delivery.kind}
        row |= {"campaign_id": delivery.campaign_id, "step_id": step, "channel": "email"}
        record_delivery(row | {"enrollment__version_id": journey.version_id}, at)
    return delivery


def event(contact: Contact, name: str, at: datetime, **props: Any) -> EventFact:
    row = Event.objects.create(
        contact=contact, name=name, properties=props, occurred_at=at, received_at=at
    )
    return EventFact(row.id, contact.id, name, at, props)


@pytest.fixture
def spring() -> Campaign:
    """Six contacts in variants a, b and holdout, with messages, purchases and conversions."""
    campaign = make_campaign("spring", SOURCE)
    c = [Contact.objects.create(email=f"c{i}@example.com") for i in range(6)]
    j = [enroll(campaign, contact, v) for contact, v in zip(c, "aabbhh", strict=True)]
    for journey in j[4:]:
        Enrollment.objects.filter(id=journey.id).update(variant="holdout")
    deliver(j[0], "first", T0, opened_at=T0 + DAY / 4, opens=2)
    deliver(j[1], "first", T0 + DAY / 8, clicked_at=T0 + DAY / 2, clicks=1)  # open not seen
    deliver(j[2], "first", T0 + DAY / 8)
    deliver(j[3], "first", T0 + DAY / 8)
    deliver(j[2], "second", T0 + 6 * DAY)
    deliver(j[3], "second", T0 + 3 * DAY, status="failed", sent_at=None)
    facts = [
        event(c[0], "purchase", T0 + 2 * DAY, value="20", currency="EUR"),  # goal reached
        event(c[1], "purchase", T0 - DAY, value="99"),  # before enrolling: not the goal
        event(c[2], "purchase", T0 + 8 * DAY, value="5"),  # attributed, and in the goal window
        event(c[2], "purchase", T0 + 12 * DAY, value="15"),  # attributed, after the goal window
        event(c[4], "purchase", T0 + DAY, value="7"),  # the holdout bought on its own
        event(c[5], "page_view", T0 + DAY),
    ]
    attribute_conversions(facts, T0 + 13 * DAY)
    return campaign


def test_the_campaign_report(spring: Campaign) -> None:
    report = campaign_report("spring")
    assert report["campaign"] == {
        "key": "spring", "name": "Spring", "status": "active", "status_reason": "",
    }  # fmt: skip
    assert report["goal"] == {"events": ["purchase"], "within": "10d", "declared": True}
    assert {k: report[k] for k in ("enrolled", "contacts_sent", "messages_sent")} == {
        "enrolled": 6,
        "contacts_sent": 4,
        "messages_sent": 5,
    }
    assert (report["opened"], report["clicked"]) == (2, 1)  # a click counts as an open
    assert report["conversions"] == 3
    assert report["revenue"] == {"EUR": "20.00", "USD": "20.00"}
    assert report["steps"] == [
        {
            "step_id": "first",
            "sent": 4,
            "opened": 2,
            "clicked": 1,
            "conversions": 1,
            "revenue": {"EUR": "20.00"},
            "suppressed": {},
        },
        {
            "step_id": "second",
            "sent": 1,
            "opened": 0,
            "clicked": 0,
            "conversions": 2,
            "revenue": {"USD": "20.00"},
            "suppressed": {},
        },
    ]
    assert report["variants"] == [
        {"variant": "a", "enrolled": 2, "converted": 1, "conversion_rate": 0.5},
        {"variant": "b", "enrolled": 2, "converted": 1, "conversion_rate": 0.5},
        {"variant": "holdout", "enrolled": 2, "converted": 1, "conversion_rate": 0.5},
    ]
    assert report["exposures"] == {
        "total": 5,
        "contacts": 6,
        "distribution": {"0": 2, "1": 3, "2": 1},
        "mean": 0.83,
        "by_channel": {"email": 5},
        "by_kind": {"sent": 5},
        "steps": [
            {"step_id": "first", "channel": "email", "exposures": 4},
            {"step_id": "second", "channel": "email", "exposures": 1},
        ],
        "audience": {"posts": 0, "reach": 0},
    }


def test_without_a_goal_the_conversion_events_within_30_days_count(settings: Any) -> None:
    campaign = make_campaign("plain", "key: plain\nsteps: []\n")
    settings.GOTEO_CONVERSION_EVENTS = ["signup"]
    early, late = (Contact.objects.create(email=f"{n}@example.com") for n in ("early", "late"))
    enroll(campaign, early, "")
    enroll(campaign, late, "")
    event(early, "signup", T0 + 29 * DAY)
    event(late, "signup", T0 + 31 * DAY)
    event(late, "purchase", T0 + DAY)
    report = campaign_report("plain")
    assert report["goal"] == {"events": ["signup"], "within": "30d", "declared": False}
    assert report["variants"] == [
        {"variant": "", "enrolled": 2, "converted": 1, "conversion_rate": 0.5}
    ]
    assert report["exposures"]["distribution"] == {"0": 2}
    assert (report["conversions"], report["revenue"], report["steps"]) == (0, {}, [])


def test_goteo_report(spring: Campaign) -> None:
    runner = CliRunner()
    as_json = runner.invoke(main, ["report", "spring", "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output) == campaign_report("spring")
    human = runner.invoke(main, ["report", "spring"])
    assert human.exit_code == 0, human.output
    assert "goal: purchase within 10d" in human.output
    assert "conversions 3, revenue 20.00 EUR, 20.00 USD" in human.output
    assert "holdout  2         1             50.00%" in human.output
    assert "exposures per contact (exposures: contacts): 0: 2, 1: 3, 2: 1" in human.output
    assert "mean 0.83 over 6 contact(s); by channel: email 5" in human.output
    assert "first   email    4" in human.output
    missing = runner.invoke(main, ["report", "nope"])
    assert missing.exit_code == 1 and "no such campaign" in missing.stderr


@pytest.mark.parametrize(
    ("events", "line"),
    [
        (None, "no goal (measured against purchases within 30 days)"),
        (["order", "signup"], "no goal (measured against order or signup events within 30 days)"),
    ],
)
def test_goteo_report_of_a_campaign_without_a_goal(
    settings: Any, events: list[str] | None, line: str
) -> None:
    make_campaign("plain", "key: plain\nsteps: []\n")
    settings.GOTEO_CONVERSION_EVENTS = events
    human = CliRunner().invoke(main, ["report", "plain"])
    assert human.exit_code == 0, human.output
    assert human.output.splitlines()[1] == line


def test_the_report_api(client: Client, spring: Campaign) -> None:
    response = client.get("/api/v1/reports/campaigns/spring", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == campaign_report("spring")
    assert client.get("/api/v1/reports/campaigns/nope", headers=AUTH).status_code == 404
    assert client.get("/api/v1/reports/campaigns/spring").status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/campaigns/spring",
        "/api/v1/conversions",
        "/api/v1/deliveries",
        "/api/v1/campaigns",
        "/api/v1/reports/exposures",
        "/api/v1/reports/exposures?campaign=spring",
    ],
)
def test_real_report_answers_match_their_documented_schema(
    client: Client, spring: Campaign, path: str
) -> None:
    document = client.get("/api/v1/openapi.json").json()
    template = path.split("?")[0].replace("/spring", "/{key}")
    operation = document["paths"][template]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    answer = client.get(path, headers=AUTH)
    assert answer.status_code == 200
    body = answer.json()
    assert body and all(value != [] for value in body.values()), body  # something to check
    assert problems(schema, body, document) == []
    assert problems(schema, {**body, "unexpected": True}, document) != []


def test_the_conversions_api(client: Client, spring: Campaign) -> None:
    Campaign.objects.create(key="other", name="Other")
    response = client.get("/api/v1/conversions", {"campaign": "spring"}, headers=AUTH)
    assert response.status_code == 200
    rows = response.json()["conversions"]
    assert [(r["email"], r["value"], r["currency"], r["step_id"], r["touch"]) for r in rows] == [
        ("c2@example.com", "15.00", "USD", "second", "send"),
        ("c2@example.com", "5.00", "USD", "second", "send"),
        ("c0@example.com", "20.00", "EUR", "first", "open"),
    ]
    since = client.get(
        "/api/v1/conversions", {"since": "2026-04-05", "limit": "1"}, headers=AUTH
    ).json()["conversions"]
    assert [r["value"] for r in since] == ["15.00"]
    everything = client.get("/api/v1/conversions", headers=AUTH).json()["conversions"]
    assert len(everything) == 5  # the unattributed ones too
    assert client.get("/api/v1/conversions", {"campaign": "other"}, headers=AUTH).json() == {
        "conversions": []
    }
    bad = client.get("/api/v1/conversions", {"since": "yesterday"}, headers=AUTH)
    assert bad.status_code == 400 and "since" in bad.json()["fields"]
    assert client.get("/api/v1/conversions", {"limit": "0"}, headers=AUTH).status_code == 400
