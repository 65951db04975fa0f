"""Twilio's webhooks: signed texts (STOP, START, HELP) and signed status callbacks; forged or
unsigned requests are refused and change nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from tests.integration.twilio_server import SID, TOKEN
from twilio.request_validator import RequestValidator

from goteo.actions.sms_consent import grant_sms_consent
from goteo.campaigns.models import Delivery, Exposure
from goteo.contacts.channel_consent import may_send_sms
from goteo.contacts.models import ChannelConsent, Contact, ProviderEvent

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PHONE = "+34612345678"
INBOUND = "/webhooks/twilio/sms/"


@pytest.fixture(autouse=True)
def twilio_settings(settings: Any) -> None:
    settings.GOTEO_SMS_URL = f"twilio://{SID}:{TOKEN}@?from=+15005550006"
    settings.GOTEO_SMS_HELP_TEXT = "Goteo Shop: offers by text. Reply STOP to stop."


def signed(client: Client, path: str, params: dict[str, str], token: str = TOKEN) -> Any:
    signature = RequestValidator(token).compute_signature(f"http://testserver{path}", params)
    return client.post(path, params, headers={"X-Twilio-Signature": signature})


def text(body: str, sid: str = "SM" + "a" * 32) -> dict[str, str]:
    return {"From": PHONE, "To": "+15005550006", "Body": body, "MessageSid": sid, "AccountSid": SID}


@pytest.fixture
def ana() -> Contact:
    contact = Contact.objects.create(email="ana@example.com", phone=PHONE)
    grant_sms_consent(contact, "form", "Offers by text, at most weekly", NOW, "203.0.113.9")
    return contact


def test_forged_and_unsigned_texts_are_refused_change_nothing_and_are_logged(
    client: Client, ana: Contact, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="goteo.web.webhooks.twilio")
    forged = signed(client, INBOUND, text("STOP"), token="someone-elses-token")
    unsigned = client.post(INBOUND, text("STOP"))
    tampered_params = text("START")
    signature = RequestValidator(TOKEN).compute_signature(
        f"http://testserver{INBOUND}", text("HELP")
    )
    tampered = client.post(INBOUND, tampered_params, headers={"X-Twilio-Signature": signature})
    assert [r.status_code for r in (forged, unsigned, tampered)] == [403, 403, 403]
    ana.refresh_from_db()
    assert ana.sms_consent == "granted" and may_send_sms(ana)
    assert ChannelConsent.objects.count() == 1
    refusals = [r for r in caplog.records if r.name == "goteo.web.webhooks.twilio"]
    assert len(refusals) == 3 and all(r.levelno == logging.INFO for r in refusals)
    assert "twilio webhook refused: POST /webhooks/twilio/sms/" in refusals[0].getMessage()


def test_stop_ends_sms_consent_at_once_and_start_restores_it(client: Client, ana: Contact) -> None:
    stop = signed(client, INBOUND, text("Stop", sid="SM" + "1" * 32))
    assert stop.status_code == 200 and stop["Content-Type"].startswith("text/xml")
    ana.refresh_from_db()
    assert not may_send_sms(ana)  # an SMS to her is now refused by the consent check
    withdrawn = ChannelConsent.objects.get(status="withdrawn")
    assert (withdrawn.source, withdrawn.proof, withdrawn.text) == ("sms", "SM" + "1" * 32, "Stop")
    start = signed(client, INBOUND, text("START", sid="SM" + "2" * 32))
    assert start.status_code == 200
    ana.refresh_from_db()
    assert may_send_sms(ana)
    assert list(ChannelConsent.objects.order_by("id").values_list("status", flat=True)) == [
        "granted", "withdrawn", "granted",
    ]  # fmt: skip


@pytest.mark.parametrize("word", ["STOPALL", "unsubscribe", "CANCEL", "end", "QUIT"])
def test_every_stop_word_ends_consent(client: Client, ana: Contact, word: str) -> None:
    assert signed(client, INBOUND, text(word)).status_code == 200
    ana.refresh_from_db()
    assert ana.sms_consent == "withdrawn"


def test_help_answers_with_the_configured_text_and_changes_nothing(
    client: Client, ana: Contact
) -> None:
    response = signed(client, INBOUND, text("help"))
    assert response.status_code == 200
    assert response.content.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
        "Goteo Shop: offers by text. Reply STOP to stop.</Message></Response>"
    )
    other = signed(client, INBOUND, text("what is this?"))
    assert other.content.decode().endswith("<Response />")
    ana.refresh_from_db()
    assert ana.sms_consent == "granted" and ChannelConsent.objects.count() == 1


def sent_sms(contact: Contact) -> Delivery:
    return Delivery.objects.create(
        contact=contact, step_id="s1", channel="sms", template="offer", locale="en",
        status="sent", next_attempt_at=NOW, created_at=NOW, sent_at=NOW, to_address=PHONE,
    )  # fmt: skip


def status(delivery: Delivery, state: str, sid: str = "SM" + "9" * 32, **extra: str) -> tuple:
    path = f"/webhooks/twilio/status/?d={delivery.id}"
    params = {"MessageSid": sid, "MessageStatus": state, "AccountSid": SID, "To": PHONE} | extra
    return path, params


def test_status_callbacks_mark_the_delivery_by_its_message_sid(
    client: Client, ana: Contact
) -> None:
    delivery = sent_sms(ana)
    assert signed(client, *status(delivery, "sent")).status_code == 204  # not final: ignored
    assert signed(client, *status(delivery, "delivered")).status_code == 204
    delivery.refresh_from_db()
    assert (delivery.receipt, delivery.status) == ("delivered", "sent")
    assert delivery.provider_message_id == "SM" + "9" * 32
    listed = client.get("/api/v1/deliveries", headers={"Authorization": "Bearer test-api-key"})
    [row] = listed.json()["deliveries"]
    assert (row["channel"], row["receipt"]) == ("sms", "delivered")
    assert row["provider_message_id"] == "SM" + "9" * 32
    replay = signed(client, *status(delivery, "delivered"))
    assert replay.status_code == 204
    assert ProviderEvent.objects.filter(provider="twilio").count() == 1
    # Delivered: the SMS is an exposure now, once however often Twilio says so.
    exposure = Exposure.objects.get()
    assert (exposure.channel, exposure.kind, exposure.delivery_id) == (
        "sms",
        "delivered",
        delivery.id,
    )

    failing = sent_sms(ana)
    path, params = status(failing, "undelivered", sid="SM" + "8" * 32, ErrorCode="30003")
    assert signed(client, path, params).status_code == 204
    failing.refresh_from_db()
    assert (failing.receipt, failing.status) == ("undelivered", "failed")
    assert not Exposure.objects.filter(delivery_id=failing.id).exists()
    assert failing.last_error == "twilio undelivered: error 30003"
    # A callback naming another delivery for a SID already recorded marks the SID's own.
    path, params = status(delivery, "failed", sid="SM" + "8" * 32, ErrorCode="30005")
    assert signed(client, path, params).status_code == 204
    delivery.refresh_from_db()
    assert delivery.receipt == "delivered"


def test_forged_status_callbacks_change_nothing(client: Client, ana: Contact) -> None:
    delivery = sent_sms(ana)
    path, params = status(delivery, "failed", ErrorCode="30003")
    assert signed(client, path, params, token="forged").status_code == 403
    assert client.post(path, params).status_code == 403
    other_url = RequestValidator(TOKEN).compute_signature("http://testserver/elsewhere", params)
    assert client.post(path, params, headers={"X-Twilio-Signature": other_url}).status_code == 403
    delivery.refresh_from_db()
    assert (delivery.receipt, delivery.status, delivery.provider_message_id) == ("", "sent", "")
    assert not ProviderEvent.objects.exists()
    assert not Exposure.objects.exists()


def test_without_twilio_the_webhooks_are_not_found(client: Client, settings: Any) -> None:
    settings.GOTEO_SMS_URL = "memory:"
    assert signed(client, INBOUND, text("STOP")).status_code == 404
    assert client.get(INBOUND).status_code == 405
