"""``send: sms`` end to end: a campaign's email and SMS steps through the real worker on a
manual clock, Twilio on loopback, STOP and START through the signed inbound webhook, and the
send-time gate (SMS consent, the number's suppression, quiet hours, the frequency cap)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from tests.integration.flow_helpers import T0, add_contacts, apply, make_worker, simple_template
from tests.integration.twilio_server import SID, TOKEN, TwilioServer
from tests.smtp_sink import SmtpSink
from twilio.request_validator import RequestValidator

from goteo.actions.enroll import do_enroll
from goteo.actions.sms_consent import grant_sms_consent
from goteo.actions.suppression import do_suppress
from goteo.campaigns.models import Delivery, DeliveryStatus, Exposure
from goteo.contacts.models import Contact
from goteo.engine.clock import ManualClock
from goteo.engine.pacing import Pacing, parse_cap, parse_quiet_hours
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)

ANA, PHONE = "ana@example.com", "+34612345678"
INBOUND = "/webhooks/twilio/sms/"
STEPS = [
    {"id": "welcome", "send": "email", "template": "welcome"},
    {"id": "first-text", "send": "sms", "template": "offer"},
    {"wait": "1d"},
    {"id": "second-text", "send": "sms", "template": "offer"},
    {"wait": "1d"},
    {"id": "third-text", "send": "sms", "template": "offer"},
]
TEMPLATES = {
    "welcome": simple_template("Welcome"),
    "offer": {"en": {"text": "Hi {{ contact.first_name }}, 10% off today"}},
}


@pytest.fixture
def twilio(settings: Any) -> Iterator[TwilioServer]:
    server = TwilioServer()
    settings.GOTEO_SMS_URL = server.sms_url()
    yield server
    server.stop()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


def enroll(consent: bool = True, **fields: str) -> Contact:
    apply("texts", STEPS, TEMPLATES)
    ids = add_contacts({"email": ANA, "first_name": "Ana", "locale": "en", **fields})
    contact = Contact.objects.get(id=ids[ANA])
    if consent:
        grant_sms_consent(contact, "form", "Offers by text, at most weekly", T0)
    do_enroll("texts", ids.values(), T0)
    return contact


def run(worker: Worker) -> None:
    worker.run_until_idle()


def text_from_ana(client: Client, body: str, sid: str) -> None:
    """Ana's reply, as Twilio posts it: signed with the account's auth token."""
    params = {"From": PHONE, "To": "+15005550006", "Body": body, "MessageSid": sid}
    params["AccountSid"] = SID
    signature = RequestValidator(TOKEN).compute_signature(f"http://testserver{INBOUND}", params)
    answer = client.post(INBOUND, params, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200, answer.content


def delivery(step: str) -> Delivery:
    return Delivery.objects.get(step_id=step)


def test_email_then_texts_stop_suppresses_the_next_text_and_start_sends_again(
    twilio: TwilioServer, sink: SmtpSink, client: Client
) -> None:
    enroll(phone=PHONE)
    clock = ManualClock(T0)
    run(make_worker(sink, clock))
    assert len(sink.messages) == 1  # the welcome email
    first = delivery("first-text")
    assert (first.channel, first.status, first.to_address) == ("sms", DeliveryStatus.SENT, PHONE)
    [sent] = twilio.accepted
    assert (sent["To"], sent["Body"]) == (PHONE, "Hi Ana, 10% off today")
    assert first.provider_message_id == "SM" + "1".zfill(32)  # the SID, for status callbacks
    assert (first.segments, delivery("welcome").segments) == (1, 0)  # SMS parts are counted
    # Handed to Twilio is not yet in front of Ana: the text counts when it is reported delivered.
    assert list(Exposure.objects.values_list("channel", flat=True)) == ["email"]

    text_from_ana(client, "STOP", "SM" + "a" * 32)
    clock.advance(timedelta(days=1))
    run(make_worker(sink, clock))
    second = delivery("second-text")
    assert (second.status, second.last_error) == (
        DeliveryStatus.SUPPRESSED,
        "SMS consent withdrawn",
    )
    assert len(twilio.accepted) == 1  # nothing more went to Twilio

    text_from_ana(client, "START", "SM" + "b" * 32)
    clock.advance(timedelta(days=1))
    run(make_worker(sink, clock))
    third = delivery("third-text")
    assert third.status == DeliveryStatus.SENT
    assert [form["To"] for form in twilio.accepted] == [PHONE, PHONE]


@pytest.mark.parametrize(
    ("consent", "fields", "reason"),
    [
        (False, {"phone": PHONE}, "no SMS consent"),  # email consent never stands in for it
        (False, {}, "no phone number"),
    ],
)
def test_an_sms_without_consent_or_a_number_is_suppressed_with_the_reason(
    twilio: TwilioServer, sink: SmtpSink, consent: bool, fields: dict[str, str], reason: str
) -> None:
    enroll(consent, **fields)
    run(make_worker(sink, ManualClock(T0)))
    assert delivery("welcome").status == DeliveryStatus.SENT
    text = delivery("first-text")
    assert (text.status, text.last_error) == (DeliveryStatus.SUPPRESSED, reason)
    assert twilio.accepted == []


def test_a_suppressed_number_is_not_texted_even_with_consent(
    twilio: TwilioServer, sink: SmtpSink
) -> None:
    enroll(phone=PHONE)
    do_suppress(PHONE, "manual", "asked by phone")
    run(make_worker(sink, ManualClock(T0)))
    text = delivery("first-text")
    assert (text.status, text.last_error) == (
        DeliveryStatus.SUPPRESSED,
        "address suppressed: manual",
    )
    assert twilio.accepted == []


def test_the_parts_a_long_text_goes_as_are_recorded_and_listed_by_the_api(
    twilio: TwilioServer, sink: SmtpSink, client: Client
) -> None:
    long = {"id": "long", "send": "sms", "template": "long"}
    apply("long", [long], {"long": {"en": {"text": "Привет! " * 20}}})  # 160 chars of UCS-2
    ids = add_contacts({"email": ANA, "locale": "en", "phone": PHONE})
    grant_sms_consent(Contact.objects.get(id=ids[ANA]), "api", "Offers by text", T0)
    do_enroll("long", ids.values(), T0)
    run(make_worker(sink, ManualClock(T0)))
    assert delivery("long").segments == 3  # 67 characters a part
    answer = client.get("/api/v1/deliveries", headers={"Authorization": "Bearer test-api-key"})
    [listed] = answer.json()["deliveries"]
    assert (listed["channel"], listed["segments"]) == ("sms", 3)


def test_quiet_hours_and_the_frequency_cap_hold_texts_too(
    twilio: TwilioServer, sink: SmtpSink
) -> None:
    enroll(phone=PHONE, timezone="Europe/Madrid")
    # T0 is 15:00 in Madrid: inside quiet hours from 14:00 to 16:00.
    quiet = Pacing(None, parse_quiet_hours("14:00-16:00"))
    run(make_worker(sink, ManualClock(T0), pacing=quiet))
    text = delivery("first-text")
    assert text.status == DeliveryStatus.PENDING
    assert text.next_attempt_at == T0 + timedelta(hours=1)
    assert "quiet hours" in text.last_error and twilio.accepted == []
    # One message a day: the email took today's slot, so the text waits for tomorrow's.
    capped = Pacing(parse_cap("1/1d"), None)
    clock = ManualClock(T0 + timedelta(hours=1))
    run(make_worker(sink, clock, pacing=capped))
    text.refresh_from_db()
    assert text.status == DeliveryStatus.PENDING and "frequency cap" in text.last_error
    assert twilio.accepted == []
    clock.set(text.next_attempt_at)
    run(make_worker(sink, clock, pacing=capped))
    text.refresh_from_db()
    assert text.status == DeliveryStatus.SENT and len(twilio.accepted) == 1
