"""``send: mail`` end to end: through the real worker to the print house or the print API,
contacts without an address skipped with the reason, and a scan of the personal URL counted as
the click a later ``wait_for`` waits for."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from tests.integration.flow_helpers import (
    Inbox,
    add_contacts,
    apply,
    close_worker,
    make_worker,
    run_now,
    simple_template,
)
from tests.integration.print_api_server import KEY, PrintApi
from tests.pdf_layout import text_lines
from tests.smtp_sink import SmtpSink

from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.campaigns.reports import campaign_report
from goteo.channels.direct_mail.print_house import MANIFEST, PrintHouse
from goteo.channels.direct_mail.qr import personal_url
from goteo.cli import main
from goteo.engine.clock import ManualClock
from goteo.engine.problems import CampaignInvalid

pytestmark = pytest.mark.django_db(transaction=True)

LANDING = "https://shop.example.com/autumn"
ANA = {
    "email": "ana@example.com", "first_name": "Ana", "locale": "pl",
    "postal_address": {"name": "Ana Nowak", "lines": ["ul. Długa 5"], "city": "Kraków",
                       "postal_code": "31-147", "country": "PL"},
}  # fmt: skip
CARD = {
    "pl": {"subject": "Jesień", "html": "<p>Cześć {{ contact.first_name }}!</p>",
           "format": "postcard-a6", "landing": LANDING},
}  # fmt: skip
STEPS: list[dict[str, Any]] = [
    {"id": "hello", "send": "email", "template": "hello"},
    {"id": "card", "send": "mail", "template": "card"},
    {"wait_for": {"event": "clicked", "timeout": "14d"}, "then": "thanks", "else": "nudge"},
    {"id": "nudge", "send": "email", "template": "nudge"},
    {"exit": "nudged"},
    {"id": "thanks", "send": "email", "template": "thanks"},
]


def _email(subject: str) -> dict[str, dict[str, str]]:
    return {"pl": simple_template(subject)["en"]}


TEMPLATES = {
    "hello": _email("Witaj"),
    "card": CARD,
    "nudge": _email("Przypomnienie"),
    "thanks": _email("Dziękujemy"),
}


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


def subjects(sink: SmtpSink) -> list[str]:
    return [str(m["Subject"]) for m in Inbox(sink).all()]


def _run(sink: SmtpSink) -> None:
    worker = make_worker(sink, ManualClock(datetime.now(UTC)))
    try:
        run_now(worker)
    finally:
        close_worker(worker)


def _journey(*contacts: dict[str, Any], templates: dict[str, Any] = TEMPLATES) -> None:
    apply("autumn", STEPS, templates, default_locale="pl")
    do_enroll("autumn", add_contacts(*contacts).values(), datetime.now(UTC))


def test_email_then_postcard_to_the_print_house_and_a_scan_satisfies_wait_for(
    sink: SmtpSink, settings: Any, tmp_path: Path
) -> None:
    settings.GOTEO_MAIL_URL = f"folder:{tmp_path}"
    _journey(ANA)
    _run(sink)
    card = Delivery.objects.get(step_id="card")
    assert (card.channel, card.status) == ("mail", DeliveryStatus.SENT)
    assert card.to_address == "Ana Nowak, ul. Długa 5, 31-147 KRAKÓW, POLAND"
    assert card.subject == "Jesień (postcard-a6)"  # the template's subject, with the format
    pdf = (tmp_path / "spool" / f"{card.id}.pdf").read_bytes()
    printed = {line.text for line in text_lines(pdf)}
    assert {"Cześć Ana!", "Ana Nowak", "ul. Długa 5", "31-147 KRAKÓW"} <= printed
    assert subjects(sink) == ["Witaj"]

    # The recipient scans the QR code: a click on the mailer, then the landing page.
    url = personal_url(settings.BASE_URL, settings.SECRET_KEY, card.id)
    answer = Client().get(url.removeprefix(settings.BASE_URL))
    assert (answer.status_code, answer["Location"]) == (302, LANDING)
    _run(sink)
    assert subjects(sink) == ["Witaj", "Dziękujemy"]  # the wait took the click branch

    batch = PrintHouse(tmp_path).export()
    assert batch is not None and batch.delivery_ids == (card.id,)
    assert str(card.id) in (batch.folder / MANIFEST).read_text(encoding="utf-8")


def test_a_contact_without_a_usable_address_is_skipped_with_the_reason(
    sink: SmtpSink, settings: Any, tmp_path: Path
) -> None:
    settings.GOTEO_MAIL_URL = f"folder:{tmp_path}"
    no_address = {"email": "bo@example.com", "first_name": "Bo", "locale": "pl"}
    _journey(no_address)
    _run(sink)
    card = Delivery.objects.get(step_id="card")
    assert (card.status, card.last_error) == (
        DeliveryStatus.SUPPRESSED,
        "skipped: no postal address",
    )
    assert not (tmp_path / "spool").exists()
    shown = CliRunner().invoke(main, ["outbox", "--status", "suppressed"])
    assert shown.exit_code == 0 and "skipped: no postal address" in shown.output
    steps = {s["step_id"]: s for s in campaign_report("autumn")["steps"]}
    assert steps["card"]["suppressed"] == {"skipped: no postal address": 1}
    reported = CliRunner().invoke(main, ["report", "autumn"])
    assert "card: 1 not sent: skipped: no postal address" in reported.output


def test_the_print_api_records_the_expected_in_home_date(sink: SmtpSink, settings: Any) -> None:
    api = PrintApi()
    try:
        port = api.loopback.server.server_address[1]
        settings.GOTEO_MAIL_URL = f"lob+http://{KEY}@127.0.0.1:{port}"
        settings.GOTEO_MAIL_SENDER = json.dumps(
            {"name": "Goteo", "lines": ["Calle Mayor 1"], "city": "Madrid",
             "postal_code": "28013", "region": "Madrid", "country": "ES"}
        )  # fmt: skip
        sized = {"pl": {**CARD["pl"], "format": "postcard-4x6"}}  # a size the API prints
        _journey(ANA, templates={**TEMPLATES, "card": sized})
        _run(sink)
    finally:
        api.close()
    card = Delivery.objects.get(step_id="card")
    assert (card.status, card.expected_in_home) == (DeliveryStatus.SENT, date(2026, 12, 10))
    assert [r["path"] for r in api.requests] == ["/v1/postcards"]


def test_an_unconfigured_print_provider_is_named_by_validate(settings: Any) -> None:
    settings.GOTEO_MAIL_URL = ""
    problem = r"steps\[1\]\.send: mail: no print provider configured \(GOTEO_MAIL_URL\)"
    with pytest.raises(CampaignInvalid, match=problem):
        apply("autumn", STEPS, TEMPLATES, default_locale="pl")
