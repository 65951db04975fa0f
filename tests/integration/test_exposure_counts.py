"""Exposure counts per contact: the contact API (held to its OpenAPI schema) and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from django.db import transaction
from django.test import Client
from tests.integration.test_openapi import problems

from goteo.actions.contacts import do_upsert_contact
from goteo.actions.scoring import do_apply_scoring, score_events
from goteo.campaigns.exposures import Touch, record_touches
from goteo.cli import main
from goteo.contacts.event_facts import EventFact
from goteo.contacts.models import Contact, Event

AUTH = {"Authorization": "Bearer test-api-key"}
T = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana() -> int:
    contact = do_upsert_contact({"email": "ana@example.com"}).contact.id
    record_touches(
        [
            Touch(contact, "email", "sent", T, "d:1"),
            Touch(contact, "email", "sent", T + DAY, "d:2"),
            Touch(contact, "mail", "in_home", T + 2 * DAY, "d:3"),
            Touch(contact, "sms", "delivered", datetime.now(UTC) + 9 * DAY, "d:4"),  # not yet
        ]
    )
    return contact


def test_the_contact_api_counts_exposures_so_far_by_channel_and_kind(
    client: Client, ana: int
) -> None:
    response = client.get("/api/v1/contacts/ana@example.com", headers=AUTH)
    assert response.status_code == 200
    assert response.json()["exposures"] == {
        "total": 3,
        "by_channel": {"email": 2, "mail": 1},
        "by_kind": {"in_home": 1, "sent": 2},
        "last_at": (T + 2 * DAY).isoformat(),
    }
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/contacts/{email}"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert problems(schema, response.json(), document) == []


def test_goteo_contacts_show_prints_exposures_by_channel(ana: int) -> None:
    runner = CliRunner()
    human = runner.invoke(main, ["contacts", "show", "ana@example.com"])
    assert human.exit_code == 0, human.output
    assert "exposures:       3 (email 2, mail 1)" in human.output
    as_json = runner.invoke(main, ["contacts", "show", "ana@example.com", "--json"])
    assert json.loads(as_json.output)["exposures"]["by_channel"] == {"email": 2, "mail": 1}


def test_a_hand_off_owner_chosen_on_exposures(ana: int) -> None:
    """The hand-off loads the exposures its owners' conditions read."""
    do_apply_scoring(
        "threshold: 10\nowners:\n"
        "  - {email: print@example.com, when: {exposures: {channel: mail, within: 30d}}}\n"
        "  - {email: desk@example.com}\n"
        "rules: [{event: purchase, points: 10}]\n"
    )
    bo = do_upsert_contact({"email": "bo@example.com"}).contact.id
    at = T + 3 * DAY
    facts = []
    for contact in (ana, bo):
        row = Event.objects.create(
            contact_id=contact, name="purchase", occurred_at=at, received_at=at
        )
        facts.append(EventFact(row.id, contact, "purchase", at))
    with transaction.atomic():  # as react() calls it: inside the transaction storing events
        score_events(facts, at)
    owners = dict(Contact.objects.values_list("email", "owner"))
    assert owners == {"ana@example.com": "print@example.com", "bo@example.com": "desk@example.com"}
