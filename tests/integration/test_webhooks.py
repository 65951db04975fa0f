"""Provider tracking webhooks, for every provider served: a genuine report is applied once;
forgeries (wrong or missing auth, bad signatures, altered bodies, stale signatures) are refused,
and replays change nothing. The suppression list is checked after every request."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client
from tests.integration.bounce_helpers import campaign, sent_delivery, suppressions
from tests.integration.bounce_helpers import webhook_state as state
from tests.integration.webhook_requests import (
    BASIC_AUTH,
    FORGED_RECIPIENT,
    RECIPIENT,
    SIGNED,
    Request,
    anymail_settings,
    forgeries,
    genuine,
    payload_text,
)

from goteo.actions.suppression import suppression_reason
from goteo.channels.email.webhook_providers import PROVIDERS
from goteo.contacts.models import Contact, ProviderEvent

ALL = sorted(PROVIDERS)
WITH_COMPLAINTS = [esp for esp in ALL if esp != "postal"]  # Postal reports no complaints


def test_every_served_provider_is_tested_here() -> None:
    assert set(ALL) == {
        "brevo", "mailersend", "mailgun", "mailjet", "mailtrap", "mandrill", "postal",
        "postmark", "resend", "sendgrid", "sparkpost",
    }  # fmt: skip
    assert set(SIGNED) <= set(ALL)


@pytest.fixture
def hooks(settings: Any) -> None:
    settings.ANYMAIL = anymail_settings()
    settings.GOTEO_WEBHOOK_MAX_AGE = 300


def post(client: Client, request: Request) -> Any:
    return client.generic(
        "POST",
        request.path,
        request.body,
        content_type=request.content_type,
        headers=request.headers,
    )


def raw_event(esp: str, fixture: str, message_id: str) -> Any:
    """The one event in a fixture, as it should be stored."""
    data = json.loads(payload_text(fixture, message_id))
    if isinstance(data, list):
        return data[0]
    return data["events"][0] if esp == "mailtrap" else data


@pytest.mark.django_db
@pytest.mark.parametrize("esp", ALL)
def test_a_genuine_bounce_suppresses_at_once_and_its_replay_changes_nothing(
    client: Client, hooks: None, esp: str
) -> None:
    delivery = sent_delivery(RECIPIENT, campaign())
    request = genuine(esp, f"{esp}_bounce.json", delivery.message_id)

    response = post(client, request)

    assert response.status_code == 200, response.content
    event = ProviderEvent.objects.get()
    assert (event.provider, event.event_type) == (esp, "bounced")
    assert (event.contact_id, event.delivery_id) == (delivery.contact_id, delivery.id)
    expected = raw_event(esp, f"{esp}_bounce.json", delivery.message_id)
    if esp == "mailgun":  # the signature block is filled in when signing
        assert event.raw["event-data"] == expected["event-data"]
    else:
        assert event.raw == expected
    assert suppression_reason(RECIPIENT) == "hard_bounce"
    assert Contact.objects.get(email=RECIPIENT).status == "bounced"

    before = state()
    replay = post(client, request)
    assert replay.status_code == 200, replay.content
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("esp", WITH_COMPLAINTS)
def test_a_genuine_complaint_suppresses_and_its_replay_changes_nothing(
    client: Client, hooks: None, esp: str
) -> None:
    delivery = sent_delivery(RECIPIENT, campaign())
    request = genuine(esp, f"{esp}_complaint.json", delivery.message_id)

    response = post(client, request)

    assert response.status_code == 200, response.content
    event = ProviderEvent.objects.get()
    assert (event.provider, event.event_type, event.delivery_id) == (
        esp,
        "complained",
        delivery.id,
    )
    assert suppression_reason(RECIPIENT) == "complaint"
    assert Contact.objects.get(email=RECIPIENT).status == "complained"

    before = state()
    assert post(client, request).status_code == 200
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("esp", ALL)
def test_forged_requests_are_refused_and_change_nothing(
    client: Client, hooks: None, esp: str
) -> None:
    delivery = sent_delivery(RECIPIENT, campaign())
    sent_delivery(FORGED_RECIPIENT, delivery.campaign)
    before = state()
    fixture = f"{esp}_complaint.json" if esp in WITH_COMPLAINTS else f"{esp}_bounce.json"
    forged = forgeries(esp, fixture, delivery.message_id)
    assert len(forged) >= (4 if esp in SIGNED else 2)

    for name, request in forged.items():
        response = post(client, request)
        assert response.status_code == 400, (name, response.status_code, response.content)
        assert state() == before, name
    assert suppressions() == {}


@pytest.mark.django_db
def test_a_mailgun_signature_reused_on_another_body_is_a_replay(
    client: Client, hooks: None
) -> None:
    """Mailgun signs timestamp + token only; the token is the event id, so it works once."""
    delivery = sent_delivery(RECIPIENT, campaign())
    sent_delivery(FORGED_RECIPIENT, delivery.campaign)
    request = genuine("mailgun", "mailgun_bounce.json", delivery.message_id)
    assert post(client, request).status_code == 200
    before = state()

    data = json.loads(request.body)
    data["event-data"]["recipient"] = FORGED_RECIPIENT
    data["event-data"]["event"] = "complained"
    data["event-data"]["message"]["headers"]["message-id"] = "forged@example.org"
    forged = Request(request.path, json.dumps(data).encode(), headers=request.headers)

    assert post(client, forged).status_code == 200
    assert state() == before
    assert suppression_reason(FORGED_RECIPIENT) is None


@pytest.mark.django_db
def test_webhooks_without_credentials_are_not_served(client: Client, settings: Any) -> None:
    delivery = sent_delivery(RECIPIENT, campaign())
    settings.ANYMAIL = {}
    before = state()
    for esp in ALL:
        request = genuine(esp, f"{esp}_bounce.json", delivery.message_id)
        assert post(client, request).status_code == 404, esp
    request = genuine("postmark", "postmark_bounce.json", delivery.message_id)
    for unknown in ("amazon_ses", "unisender_go", "sendinblue", "nobody"):
        path = f"/webhooks/{unknown}/tracking/"
        assert post(client, Request(path, request.body, headers=request.headers)).status_code == 404
    assert state() == before


@pytest.mark.django_db
def test_signed_providers_work_without_basic_auth_and_the_others_stay_off(
    client: Client, settings: Any
) -> None:
    settings.ANYMAIL = anymail_settings(basic_auth=False)
    for number, esp in enumerate(ALL):
        delivery = sent_delivery(f"reader{number}@example.org", campaign(f"c{number}"))
        fixture = f"{esp}_bounce.json"
        request = genuine(esp, fixture, delivery.message_id, auth=None)
        expected = 200 if esp in SIGNED else 404
        assert post(client, request).status_code == expected, esp
        if esp not in SIGNED:
            with_auth = genuine(esp, fixture, delivery.message_id, auth=BASIC_AUTH)
            assert post(client, with_auth).status_code == 404, esp
    assert ProviderEvent.objects.count() == len(SIGNED)


@pytest.mark.django_db
def test_postal_delivery_failure_is_a_hard_bounce(client: Client, hooks: None) -> None:
    delivery = sent_delivery(RECIPIENT, campaign())
    response = post(client, genuine("postal", "postal_failed.json", delivery.message_id))
    assert response.status_code == 200, response.content
    event = ProviderEvent.objects.get()
    assert (event.event_type, event.delivery_id) == ("failed", delivery.id)
    assert suppression_reason(RECIPIENT) == "hard_bounce"


@pytest.mark.django_db
def test_a_forged_message_id_does_not_reach_another_delivery(client: Client, hooks: None) -> None:
    """Our Message-IDs carry a mac: one that does not verify falls back to the recipient."""
    mine = sent_delivery(RECIPIENT, campaign())
    other = sent_delivery("someone.else@example.org", mine.campaign, step="other")
    forged_id = f"<goteo.{other.id}.0123456789abcdef@goteo.example.com>"
    response = post(client, genuine("sendgrid", "sendgrid_complaint.json", forged_id))
    assert response.status_code == 200, response.content
    event = ProviderEvent.objects.get()
    assert (event.contact_id, event.delivery_id) == (mine.contact_id, mine.id)
    assert suppression_reason("someone.else@example.org") is None


@pytest.mark.django_db
@pytest.mark.parametrize("esp", ["mailgun", "sendgrid"])
def test_the_age_of_a_signed_timestamp_is_what_refuses_an_old_request(
    client: Client, settings: Any, esp: str
) -> None:
    settings.ANYMAIL = anymail_settings()
    delivery = sent_delivery(RECIPIENT, campaign())
    old = genuine(esp, f"{esp}_bounce.json", delivery.message_id, now=time.time() - 3600)
    settings.GOTEO_WEBHOOK_MAX_AGE = 300
    refused = post(client, old)
    assert refused.status_code == 400
    assert ProviderEvent.objects.count() == 0
    settings.GOTEO_WEBHOOK_MAX_AGE = 0  # the check turned off: the signature itself is good
    assert post(client, old).status_code == 200
    assert suppression_reason(RECIPIENT) == "hard_bounce"
