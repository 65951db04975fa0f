"""Bounces and complaints: DSNs and ARF reports at the signed bounce address, the soft-bounce
threshold, the complaint-rate pause, and ``goteo inbound`` as a real SMTP server."""

from __future__ import annotations

import email
import smtplib
import socket
import time
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from tests.integration.bounce_helpers import campaign, many_sent, sent_delivery, suppressions
from tests.integration.procs import ONE_SEND_CAMPAIGN, free_port, goteo, goteo_json, start_goteo
from tests.smtp_sink import SmtpSink

from goteo.actions.bounces import check_complaint_rate, outcome
from goteo.actions.provider_events import do_record_event
from goteo.actions.suppression import suppression_reason
from goteo.campaigns.models import Campaign, Delivery
from goteo.channels.email import verp
from goteo.contacts.models import Contact, ProviderEvent
from goteo.inbound.process import accepts, process

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "dsn"
DOMAIN = "bounces.goteo.example.com"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes().replace(b"\n", b"\r\n")


def bounce_address(delivery: Delivery) -> str:
    return verp.encode("bounces", delivery.id, DOMAIN, settings.SECRET_KEY)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["postfix_hard.eml", "gmail_hard.eml"])
def test_a_hard_bounce_report_suppresses_the_delivery_address(name: str) -> None:
    delivery = sent_delivery("ana.lopez@example.org", campaign())
    address = bounce_address(delivery)

    result = process(address, sample(name))

    assert (result.kind, result.recorded) == ("bounce", 1)
    event = ProviderEvent.objects.get()
    assert (event.provider, event.event_type) == ("smtp-dsn", "bounced")
    assert (event.delivery_id, event.contact_id) == (delivery.id, delivery.contact_id)
    assert event.description.startswith("5.1.1; smtp; 550")
    assert event.raw["to"] == address and "delivery-status" in event.raw["message"]
    assert suppression_reason("ana.lopez@example.org") == "hard_bounce"
    assert Contact.objects.get(id=delivery.contact_id).status == "bounced"

    before = (suppressions(), ProviderEvent.objects.count())
    assert process(address, sample(name)).recorded == 0  # the same report again
    assert (suppressions(), ProviderEvent.objects.count()) == before


@pytest.mark.django_db
def test_a_report_applies_to_the_delivery_not_to_the_address_it_names() -> None:
    """Anyone can write a DSN; only the signed bounce address says which message it is about."""
    mine = sent_delivery("ana.lopez@example.org", campaign())
    sent_delivery("marta.ruiz@gmail.com", mine.campaign, step="other")
    process(bounce_address(mine), sample("gmail_hard.eml"))  # names marta.ruiz@gmail.com
    assert suppression_reason("ana.lopez@example.org") == "hard_bounce"
    assert suppression_reason("marta.ruiz@gmail.com") is None


@pytest.mark.django_db
def test_soft_bounces_suppress_at_the_limit(settings: Any) -> None:
    settings.GOTEO_SOFT_BOUNCE_LIMIT = 3
    to = campaign()
    deliveries = [sent_delivery("luis.garcia@example.net", to, step=f"s{n}") for n in range(5)]
    contact_id = deliveries[0].contact_id

    for number, delivery in enumerate(deliveries[:2], 1):
        assert process(bounce_address(delivery), sample("exim_soft.eml")).recorded == 1
        contact = Contact.objects.get(id=contact_id)
        assert (contact.soft_bounces, contact.status) == (number, "active")
        assert suppression_reason(contact.email) is None

    # A later delivery resets the count: only consecutive soft bounces add up.
    do_record_event(
        "smtp-dsn", "delivered-1", "delivered", "", deliveries[1].message_id, "", {}, None
    )
    assert Contact.objects.get(id=contact_id).soft_bounces == 0
    for delivery in deliveries[2:]:
        process(bounce_address(delivery), sample("exim_soft.eml"))

    contact = Contact.objects.get(id=contact_id)
    assert (contact.soft_bounces, contact.status) == (3, "bounced")
    assert suppression_reason(contact.email) == "soft_bounces"
    event = ProviderEvent.objects.first()
    assert event is not None
    assert "3 soft bounces" in suppressions()[event.recipient_hash][1]


@pytest.mark.django_db
def test_a_delay_warning_and_a_plain_text_bounce_change_nothing() -> None:
    delivery = sent_delivery("pablo@example.com", campaign())
    delayed = process(bounce_address(delivery), sample("postfix_delayed.eml"))
    plain = process(bounce_address(delivery), sample("qmail_plain.eml"))
    assert (delayed.kind, plain.kind) == ("bounce", "report")
    types = sorted(ProviderEvent.objects.values_list("event_type", flat=True))
    assert types == ["deferred", "unknown"]
    contact = Contact.objects.get(id=delivery.contact_id)
    assert (contact.status, contact.soft_bounces) == ("active", 0)
    assert suppressions() == {}


@pytest.mark.django_db
def test_an_arf_report_at_the_bounce_address_is_a_complaint() -> None:
    delivery = sent_delivery("sofia.martin@yahoo.com", campaign())
    result = process(bounce_address(delivery), sample("arf_complaint.eml"))
    assert (result.kind, result.recorded) == ("complaint", 1)
    event = ProviderEvent.objects.get()
    assert (event.provider, event.event_type, event.delivery_id) == (
        "arf",
        "complained",
        delivery.id,
    )
    assert suppression_reason("sofia.martin@yahoo.com") == "complaint"
    assert Contact.objects.get(id=delivery.contact_id).status == "complained"


@pytest.mark.django_db
def test_a_mailto_unsubscribe_unsubscribes_the_contact() -> None:
    delivery = sent_delivery("ana.lopez@example.org", campaign())
    address = verp.encode("unsubscribe", delivery.contact_id, DOMAIN, settings.SECRET_KEY)
    message = b"From: ana.lopez@example.org\r\nTo: " + address.encode() + b"\r\n"
    message += b"Subject: unsubscribe\r\n\r\n\r\n"
    result = process(address, message)
    assert (result.kind, result.recorded) == ("unsubscribe", 1)
    assert Contact.objects.get(id=delivery.contact_id).status == "unsubscribed"
    assert suppression_reason("ana.lopez@example.org") == "unsubscribed"
    event = ProviderEvent.objects.get()
    assert (event.provider, event.event_type, event.delivery_id) == (
        "mailto",
        "unsubscribed",
        delivery.id,
    )


def test_only_signed_addresses_are_ours() -> None:
    genuine = verp.encode("bounces", 41, DOMAIN, settings.SECRET_KEY)
    assert accepts(genuine) and accepts(genuine.upper())
    assert not accepts(verp.encode("bounces", 41, DOMAIN, "another-secret"))
    assert not accepts(genuine.replace("bounces+29", "bounces+2a"))
    assert not accepts(f"postmaster@{DOMAIN}")
    with pytest.raises(ValueError):
        process(f"postmaster@{DOMAIN}", b"Subject: hi\r\n\r\nhi\r\n")


@pytest.mark.parametrize(
    ("event_type", "label", "description", "expected"),
    [
        ("bounced", "hard", "", "hard_bounce"),
        ("bounced", "soft", "550 5.1.1 user unknown", "soft_bounce"),  # the provider's label wins
        ("bounced", "", "smtp;550 5.1.1 user unknown", "hard_bounce"),
        ("bounced", "", "452 4.2.2 mailbox full", "soft_bounce"),
        ("bounced", "", "no code at all", "soft_bounce"),
        ("rejected", "hard", "", "hard_bounce"),
        ("rejected", "soft", "", None),
        ("failed", "", "template error", None),
        ("deferred", "", "451 4.7.1 try later", None),
        ("complained", "", "", "complaint"),
        ("unsubscribed", "", "", "unsubscribe"),
        ("delivered", "", "250 OK", "delivered"),
        ("opened", "", "", None),
    ],
)
def test_what_each_event_does(
    event_type: str, label: str, description: str, expected: str | None
) -> None:
    assert outcome(event_type, label, description) == expected


def complain(deliveries: list[Delivery]) -> None:
    for delivery in deliveries:
        assert process(bounce_address(delivery), sample("arf_complaint.eml")).recorded == 1


@pytest.mark.django_db
def test_a_campaign_pauses_itself_when_complaints_pass_three_per_thousand() -> None:
    to = campaign()
    deliveries = many_sent(to, 730)

    complain(deliveries[:2])  # 0.27%: still under the limit
    assert Campaign.objects.get(id=to.id).status == "active"

    complain(deliveries[2:3])  # 0.41%

    paused = Campaign.objects.get(id=to.id)
    assert paused.status == "paused"
    assert paused.status_reason == (
        "paused: complaint rate 0.41% (3 of 730 delivered) is over 0.3%"
    )
    # Another complaint does not rewrite the reason of a campaign already paused.
    complain(deliveries[3:4])
    assert Campaign.objects.get(id=to.id).status_reason == paused.status_reason


@pytest.mark.django_db
def test_a_young_campaign_is_not_judged_on_its_first_complaints(settings: Any) -> None:
    settings.GOTEO_COMPLAINT_MIN_SENT = 300
    to = campaign()
    deliveries = many_sent(to, 100)
    complain(deliveries[:5])  # 5% of 100, but fewer than 300 sent
    assert Campaign.objects.get(id=to.id).status == "active"

    many_sent(to, 200, prefix="later")
    assert check_complaint_rate(to.id) == (
        "paused: complaint rate 1.67% (5 of 300 delivered) is over 0.3%"
    )


@pytest.mark.django_db
def test_complaints_about_other_campaigns_do_not_count() -> None:
    one, two = campaign("one"), campaign("two")
    many_sent(one, 300, prefix="one")
    noisy = many_sent(two, 300, prefix="two")
    complain(noisy[:2])
    assert Campaign.objects.get(id=one.id).status == "active"
    assert check_complaint_rate(one.id) is None


# ``goteo inbound`` as a real process.


def wait_for_port(port: int, process: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"goteo inbound exited: {process.communicate()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("goteo inbound did not start listening")


@pytest.fixture
def inbound_env(goteo_env: dict[str, str], smtp_sink: SmtpSink) -> dict[str, str]:
    return {**goteo_env, "GOTEO_RETURN_PATH_DOMAIN": DOMAIN, "GOTEO_EMAIL_URL": smtp_sink.url}


@pytest.fixture
def inbound_port(inbound_env: dict[str, str]) -> Iterator[int]:
    goteo(inbound_env, "migrate")
    port = free_port()
    server = start_goteo(inbound_env, "inbound", "--bind", f"127.0.0.1:{port}")
    try:
        wait_for_port(port, server)
        yield port
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
        assert server.returncode == 0, err


@pytest.mark.slow  # runs `goteo inbound` as a real process
def test_goteo_inbound_end_to_end(
    tmp_path: Path, inbound_env: dict[str, str], smtp_sink: SmtpSink, inbound_port: int
) -> None:
    """Sent over SMTP with the signed return path; the DSN comes back; the address is out."""
    env = inbound_env
    (tmp_path / "blast.yaml").write_text(ONE_SEND_CAMPAIGN, encoding="utf-8")
    goteo(env, "campaign", "apply", str(tmp_path / "blast.yaml"))
    for address in ("ana.lopez@example.org", "luis.garcia@example.net"):
        goteo(env, "contacts", "add", address, "--subscribe", "news")
    goteo(env, "worker", "--until-idle")
    sent = {rcpts[0]: (mail_from, data) for mail_from, rcpts, data in smtp_sink.messages}
    bounce_to, _ = sent["ana.lopez@example.org"]
    assert bounce_to.startswith("bounces+") and bounce_to.endswith(f"@{DOMAIN}")
    ids = {row["contact__email"]: row["id"] for row in goteo_json(env, "outbox")}
    assert verp.decode(bounce_to, env["GOTEO_SECRET_KEY"]) == (
        "bounces",
        ids["ana.lopez@example.org"],
    )

    with smtplib.SMTP("127.0.0.1", inbound_port, timeout=30) as smtp:
        smtp.sendmail("", [bounce_to], sample("postfix_hard.eml"))
        for forged in (
            verp.encode("bounces", 1, DOMAIN, "not-our-secret"),
            f"postmaster@{DOMAIN}",
            "ana.lopez@example.org",
        ):
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                smtp.sendmail("", [forged], sample("postfix_hard.eml"))
            assert refused.value.recipients[forged][0] == 550

        # The mailto in List-Unsubscribe (RFC 2369) works too.
        _, luis_data = sent["luis.garcia@example.net"]
        header = str(email.message_from_bytes(luis_data, policy=policy.default)["List-Unsubscribe"])
        mailto = header.split("<mailto:")[1].split("?")[0]
        note = f"From: luis.garcia@example.net\r\nTo: {mailto}\r\nSubject: unsubscribe\r\n\r\n"
        smtp.sendmail("luis.garcia@example.net", [mailto], note.encode())

    ana = goteo_json(env, "suppress", "list", "Ana.Lopez@example.org")
    assert [row["reason"] for row in ana] == ["hard_bounce"]
    luis = goteo_json(env, "suppress", "list", "luis.garcia@example.net")
    assert [row["reason"] for row in luis] == ["unsubscribed"]
    assert len(goteo_json(env, "suppress", "list")) == 2
