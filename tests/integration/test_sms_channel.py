"""The SMS channel: Twilio's REST API through the ``twilio`` library against a loopback server,
the typed results its answers map to, ``GOTEO_SMS_URL``, and the memory and folder doubles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.twilio_server import SID, TOKEN, TwilioServer

from goteo.channels.base import Delivered, Draft, Permanent, Retryable, Throttled
from goteo.channels.sms import doubles
from goteo.channels.sms.config import auth_token, sms_provider, sms_sender
from goteo.channels.sms.message import OutgoingSms
from goteo.channels.sms.provider import SmsProvider
from goteo.channels.sms.twilio_sender import TwilioSender
from goteo.config import ConfigError
from goteo.contacts.phones import phone_hash
from goteo.content.checks import check_template
from goteo.engine.parser import parse_campaign

CAMPAIGN = parse_campaign(
    """\
key: texts
steps:
  - send: sms
    template: offer
templates:
  offer:
    en: {text: "Hi {{ contact.first_name | default: 'there' }}, 10% off: {{ base_url }}/s"}
    es: {text: "Hola {{ contact.first_name | default: 'amigo' }}, ¡10% de descuento!"}
  long:
    en: {text: "{% for i in (1..30) %}long text, {% endfor %}"}
""",
    check_template=check_template,
)
ANA = {"id": 7, "email": "ana@example.com", "first_name": "Ana", "phone": "+34612345678"}


@pytest.fixture
def twilio() -> Iterator[TwilioServer]:
    server = TwilioServer()
    yield server
    server.stop()


def sender_for(twilio: TwilioServer, **options: str) -> TwilioSender:
    sender = sms_sender(twilio.sms_url(**options))
    assert isinstance(sender, TwilioSender)
    return sender


def sms(to: str = "+34612345678", delivery_id: int = 1) -> OutgoingSms:
    return OutgoingSms(
        delivery_id, to, "Hola", 1, f"http://testserver/webhooks/twilio/status/?d={delivery_id}"
    )


def test_twilio_accepts_a_message_with_the_right_shape(twilio: TwilioServer) -> None:
    sender = sender_for(twilio)
    result = sender.send(sms())
    sender.close()
    assert result == Delivered(1, "SM" + "1".rjust(32, "0"))
    assert twilio.refused == []
    [form] = twilio.accepted
    assert form == {
        "To": "+34612345678",
        "From": "+15005550006",
        "Body": "Hola",
        "StatusCallback": "http://testserver/webhooks/twilio/status/?d=1",
    }


def test_a_messaging_service_sends_instead_of_a_number(twilio: TwilioServer) -> None:
    url = twilio.sms_url().replace("from=%2B15005550006", "messaging_service=MG123")
    url = url.replace("from=+15005550006", "messaging_service=MG123")
    sender = sms_sender(url)
    assert sender is not None and isinstance(sender.send(sms()), Delivered)
    sender.close()
    assert twilio.accepted[0]["MessagingServiceSid"] == "MG123"
    assert "From" not in twilio.accepted[0]


@pytest.mark.parametrize(
    ("answer", "kind", "reason"),
    [
        ((400, 21211), Permanent, "twilio 400 error 21211"),  # invalid number
        ((400, 21610), Permanent, "twilio 400 error 21610"),  # replied STOP
        ((400, 21614), Permanent, "twilio 400 error 21614"),  # not a mobile
        ((429, 20429), Throttled, "twilio 429 error 20429"),
        ((500, None), Retryable, "twilio 500"),
        ((503, None), Retryable, "twilio 503"),
        ("drop", Retryable, "twilio unreachable"),
    ],
)
def test_twilio_answers_map_to_typed_results(
    twilio: TwilioServer, answer: object, kind: type, reason: str
) -> None:
    twilio.answers["+34612345678"] = answer
    sender = sender_for(twilio)
    result = sender.send(sms())
    sender.close()
    assert type(result) is kind, result
    assert isinstance(result, Retryable | Permanent) and result.reason.startswith(reason)


def test_a_wrong_token_is_retried_and_a_stopped_server_too(twilio: TwilioServer) -> None:
    wrong = sms_sender(twilio.sms_url().replace(TOKEN, "not-the-token"))
    assert wrong is not None
    result = wrong.send(sms())
    wrong.close()
    assert isinstance(result, Retryable) and "20003" in result.reason
    assert twilio.accepted == [] and twilio.refused == ["auth: wrong or missing credentials"]
    sender = sender_for(twilio)
    twilio.stop()
    result = sender.send(sms())
    sender.close()
    assert isinstance(result, Retryable) and "unreachable" in result.reason


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("twilio://nobody:x@?from=+15005550006", "needs the account SID (AC…)"),
        (f"twilio://{SID}:{TOKEN}@", "give one of from=+1555… or messaging_service=MG…"),
        (f"twilio://{SID}:{TOKEN}@?from=+15005550006&messaging_service=MG1", "give one of"),
        (f"twilio://{SID}:{TOKEN}@?from=12", "from: "),
        (f"twilio://{SID}:{TOKEN}@?from=+15005550006&colour=red", "unknown option 'colour'"),
        (f"twilio://{SID}:{TOKEN}@?from=+15005550006&api=ftp://x", "must be an http(s) URL"),
        ("carrier-pigeon:", "is not understood"),
    ],
)
def test_sms_url_problems_are_named(url: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        sms_sender(url)
    assert problem in str(caught.value)


def test_sms_url_choices() -> None:
    assert sms_sender("") is None and sms_provider("", "https://x") is None
    provider = sms_provider("memory:", "https://goteo.example.com")
    assert provider is not None and provider.sender is doubles.MEMORY and provider.name == "sms"
    assert sms_sender("memory:") is doubles.MEMORY
    assert isinstance(sms_sender("folder:/tmp/x"), doubles.FolderSms)
    assert auth_token(f"twilio://{SID}:{TOKEN}@?from=+15005550006") == TOKEN
    assert auth_token("memory:") == ""


def draft(template: str = "offer", locale: str = "en", contact: dict | None = None) -> Draft:
    return Draft(9, "marketing", CAMPAIGN, template, locale, contact or ANA, {})


def test_prepare_renders_the_text_in_the_contacts_locale_for_its_number() -> None:
    provider = SmsProvider(doubles.MemorySms(), "https://goteo.example.com")
    prepared = provider.prepare(draft())
    assert prepared.to_address == "+34612345678"
    assert prepared.address_hash == phone_hash("+34612345678")
    assert prepared.payload == OutgoingSms(
        9,
        "+34612345678",
        "Hi Ana, 10% off: https://goteo.example.com/s",
        1,
        "https://goteo.example.com/webhooks/twilio/status/?d=9",
    )
    spanish = provider.prepare(draft(locale="es", contact={**ANA, "first_name": ""}))
    assert spanish.payload.body == "Hola amigo, ¡10% de descuento!"
    assert provider.prepare(draft(locale="fr")).payload.body.startswith("Hi Ana")


def test_a_contact_without_a_number_is_left_to_the_gate_and_never_sent() -> None:
    memory = doubles.MemorySms()
    provider = SmsProvider(memory, "https://goteo.example.com")
    prepared = provider.prepare(draft(contact={**ANA, "phone": ""}))
    assert (prepared.to_address, prepared.address_hash) == ("", None)
    assert provider.deliver(prepared) == Permanent(9, "the contact has no phone number")
    assert memory.sent == []


def test_a_message_past_the_providers_segments_is_permanent_and_not_sent() -> None:
    memory = doubles.MemorySms()
    provider = SmsProvider(memory, "https://goteo.example.com", max_segments=2)
    prepared = provider.prepare(draft("long"))
    assert prepared.payload.segments == 3
    result = provider.deliver(prepared)
    assert result == Permanent(9, "3 segments; this provider sends at most 2")
    assert memory.sent == []
    assert "idempotency_key" not in provider.capabilities
    assert "delivery_receipts" not in provider.capabilities  # the double reports nothing later


def test_memory_and_folder_doubles_keep_what_they_are_given(tmp_path: Path) -> None:
    memory = doubles.MemorySms()
    provider = SmsProvider(memory, "https://goteo.example.com")
    assert provider.deliver(provider.prepare(draft())) == Delivered(9, "memory-9")
    assert [s.body for s in memory.to("+34612345678")] == [
        "Hi Ana, 10% off: https://goteo.example.com/s"
    ]
    folder = SmsProvider(doubles.FolderSms(tmp_path / "sms"), "https://goteo.example.com")
    prepared = folder.prepare(draft())
    assert isinstance(folder.deliver(prepared), Delivered)
    assert isinstance(folder.deliver(prepared), Delivered)  # a repeat replaces its own file
    [written] = (tmp_path / "sms").iterdir()
    assert written.name == "goteo-sms-9.json"
    assert json.loads(written.read_text("utf-8"))["to"] == "+34612345678"
