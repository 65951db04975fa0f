"""A form in German, a language Goteo has no texts for, in the form's own words end to end:
its page, errors, thank-you page, confirmation email (over SMTP) and confirmation page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.test import Client
from tests.integration.flow_helpers import Inbox, body_text, run_now
from tests.integration.form_helpers import confirm_path, post
from tests.smtp_sink import SmtpSink

from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.forms import do_apply_form
from goteo.campaigns.models import Delivery
from goteo.cli import main
from goteo.contacts.models import Contact
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GERMAN = (EXAMPLES / "newsletter-de-form.yaml").read_text(encoding="utf-8")
PAGE = "/f/newsletter-de"
CAMPAIGN = """\
key: kurs
name: Der Kurs
trigger: {subscribed: newsletter}
steps:
  - send: email
    template: lektion
templates:
  lektion:
    en: {subject: "Lesson one", html: "<p>1</p>"}
    de: {subject: "Lektion eins, {{ contact.first_name | default: 'hallo' }}", html: "<p>1</p>"}
"""


def test_a_german_form_speaks_german_from_the_page_to_the_confirmation(
    client: Client, worker: Worker, smtp_sink: SmtpSink
) -> None:
    do_apply_campaign(CAMPAIGN)
    do_apply_form(GERMAN)
    page = client.get(PAGE).content.decode()
    assert '<html lang="de">' in page
    for words in ("E-Mail-Adresse", "Vorname", "Sprache", ">Anmelden</button>"):
        assert words in page, words
    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]+)</option>', page)
    assert options == [
        ("de", " selected", "Deutsch"),
        ("en", "", "English"),
        ("fr", "", "Français"),
    ]

    refused = post(client, PAGE, {"email": "not-an-address", "locale": "ru"})
    assert refused.status_code == 400
    for words in (
        "Bitte korrigieren Sie die markierten Felder.",
        "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
        "Bitte wählen Sie eine Sprache aus der Liste.",  # Russian is not on this form's menu
    ):
        assert words in refused.content.decode(), words
    assert not Contact.objects.exists()

    thanks = post(client, PAGE, {"email": "jonas@example.com", "first_name": "Jonas"})
    assert "Bitte sehen Sie in Ihr Postfach" in thanks.content.decode()
    assert Contact.objects.get().locale == "de"

    inbox = Inbox(smtp_sink)
    run_now(worker)
    (confirmation,) = inbox.new()
    subject = "Bitte bestätigen Sie Ihr Abonnement: Der Goteo-Newsletter"
    assert str(confirmation["subject"]) == subject
    text = confirmation.get_body(("plain",))
    assert text is not None
    assert body_text(text).startswith("Hallo Jonas,\n\njemand, hoffentlich Sie, möchte")
    assert "Ja, ich möchte mich anmelden (http://testserver/c/" in body_text(text)

    link = confirm_path(confirmation)
    asked = client.get(link).content.decode()
    assert "Abonnement bestätigen" in asked and ">Bestätigen</button>" in asked
    assert "Ihr Abonnement von Der Goteo-Newsletter zu bestätigen" in asked
    done = client.post(link).content.decode()
    assert "Ihr Abonnement ist bestätigt" in done and "Einstellungen verwalten" in done
    run_now(worker)
    (lesson,) = inbox.new()
    assert str(lesson["subject"]) == "Lektion eins, Jonas"


def test_a_language_the_form_does_not_write_gets_goteos_own_confirmation(
    client: Client, worker: Worker, smtp_sink: SmtpSink
) -> None:
    do_apply_form(GERMAN)
    post(client, PAGE, {"email": "chloe@example.com", "locale": "fr"})
    (delivery,) = Delivery.objects.all()
    assert delivery.locale == "fr" and "form_message" not in delivery.context
    run_now(worker)
    (confirmation,) = Inbox(smtp_sink).new()
    assert str(confirmation["subject"]) == "Confirmez votre inscription à Der Goteo-Newsletter"


def test_form_validate_warns_about_a_locale_without_texts(tmp_path: Path) -> None:
    dutch = tmp_path / "nl.yaml"
    dutch.write_text(
        "key: aanmelden\nlocale: nl\ntopics: [news]\nconsent: Ja, graag.\n", encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["form", "validate", str(dutch)])
    assert result.exit_code == 0
    assert result.stdout == f"{dutch}: valid (aanmelden), 1 warning(s):\n"
    assert result.stderr.startswith(f"  {dutch}:line 2: locale: Goteo has no texts in 'nl'")
    applied = CliRunner().invoke(main, ["form", "apply", str(dutch)])
    assert applied.exit_code == 0 and "1 warning(s)" in applied.stdout
    german = EXAMPLES / "newsletter-de-form.yaml"
    checked = CliRunner().invoke(main, ["form", "validate", str(german)])
    assert (checked.exit_code, checked.stderr) == (0, "")


def test_an_expired_german_page_says_so_in_german() -> None:
    do_apply_form(GERMAN)
    browser = Client(enforce_csrf_checks=True)
    refused = browser.post(PAGE, {"email": "jonas@example.com"})  # no CSRF token
    assert refused.status_code == 403
    body = refused.content.decode()
    assert '<html lang="de">' in body and "Diese Seite ist abgelaufen" in body
