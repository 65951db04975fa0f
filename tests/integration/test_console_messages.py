"""The web app's messages: each send step's template per locale, missing translations and
validate's checks, and the preview rendered by the worker's own renderer for a contact."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import pytest
from django.test import override_settings
from PIL import Image
from tests.integration.console_helpers import signed_in

from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.contacts import do_upsert_contact
from goteo.channels.direct_mail.formats import page_format

pytestmark = pytest.mark.django_db

CAMPAIGN = """\
key: multi
name: Multi
default_locale: en
trigger: {subscribed: news}
steps:
  - send: email
    template: welcome
  - wait: 1d
  - send: email
    template: nudge
  - send: sms
    template: reminder
templates:
  welcome:
    en: {subject: "Welcome, {{ contact.first_name | default: 'friend' }}", html: "<p>Hi {{ contact.first_name }}</p>"}
    es: {subject: "Bienvenida, {{ contact.first_name | default: 'amiga' }}", html: "<p>Hola</p>", preheader: "Te damos la bienvenida"}
  nudge:
    en: {subject: "Still there?", html: "<p>Come back</p>"}
  reminder:
    en: {text: "See you soon, {{ contact.first_name | default: 'friend' }}"}
"""  # noqa: E501


@pytest.fixture(autouse=True)
def _sms() -> object:
    with override_settings(GOTEO_SMS_URL="memory:"):
        yield


def test_the_messages_page_lists_each_template_per_locale_with_its_gaps_and_checks() -> None:
    applied = do_apply_campaign(CAMPAIGN)
    page = signed_in("viewer").get("/app/campaigns/multi/messages")
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    for template, channel in (("welcome", "email"), ("nudge", "email"), ("reminder", "sms")):
        assert re.search(rf"<code>{template}</code> <span class=\"muted\">{channel}", text)
    # A locale the campaign offers (es) that a template lacks, and what such contacts get.
    assert "No es translation: contacts in es get en." in text
    assert text.count("No es translation") == 2  # nudge and reminder, not welcome
    assert "Te damos la bienvenida" in text  # the parts, as written
    assert "derived from the HTML" in text
    # validate's warning, worded as the command line words it.
    warning = next(w for w in applied.warnings if "templates.welcome.en.html" in w.path)
    assert str(warning) in text


def test_a_preview_renders_for_the_chosen_contact_and_locale_under_a_script_free_policy() -> None:
    do_apply_campaign(CAMPAIGN)
    do_upsert_contact({"email": "lucia@example.com", "first_name": "Lucía", "locale": "es"})
    client = signed_in("viewer")
    page = client.get("/app/campaigns/multi/messages/welcome", {"contact": "LUCIA@example.com"})
    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    assert "script-src 'none'" in policy and "default-src 'none'" in policy
    body = page.content.decode()
    assert "Bienvenida, Lucía" in body  # her locale, by default
    frame = re.search(r"<iframe[^>]*>", body)
    assert frame is not None
    assert re.search(r"\bsandbox\b(?!=)", frame.group(0))  # no allow-* at all
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', frame.group(0)).group(1))  # type: ignore[union-attr]
    assert "Hola" in srcdoc and "Te damos la bienvenida" in srcdoc
    assert "/u/" in srcdoc  # the footer the composer adds, with her unsubscribe link
    assert "<script" not in body  # not even the app's own

    english = client.get(
        "/app/campaigns/multi/messages/welcome", {"contact": "lucia@example.com", "locale": "en"}
    )
    assert "Welcome, Lucía" in english.content.decode()
    fallback = client.get("/app/campaigns/multi/messages/nudge", {"locale": "es"})
    assert "There is no es translation: contacts in es get en" in fallback.content.decode()
    assert "Still there?" in fallback.content.decode()


def test_an_sms_preview_counts_its_segments_and_an_unknown_address_is_said() -> None:
    do_apply_campaign(CAMPAIGN)
    do_upsert_contact({"email": "lucia@example.com", "first_name": "Lucía", "locale": "es"})
    client = signed_in("editor")
    page = client.get("/app/campaigns/multi/messages/reminder", {"contact": "lucia"})
    body = html.unescape(page.content.decode())
    assert "No contact has the address lucia" in body
    assert "lucia@example.com" in body  # offered as a match
    assert "See you soon, friend" in body  # the sample contact
    assert "1 segment (GSM7)" in body
    assert client.get("/app/campaigns/multi/messages/nope").status_code == 404
    assert client.get("/app/campaigns/none/messages").status_code == 404


LETTER = """\
key: letters
name: Letters
default_locale: pl
trigger: {subscribed: news}
steps:
  - send: mail
    template: letter
templates:
  letter:
    pl: {subject: "List", html: "<p>Cześć {{ contact.first_name | default: 'tam' }}!</p>"}
"""


def test_a_mailer_previews_as_its_first_printed_page_or_says_why_it_is_skipped(
    tmp_path: Path,
) -> None:
    with override_settings(GOTEO_MAIL_URL=f"folder:{tmp_path}"):
        do_apply_campaign(LETTER)
    address = {"name": "Ana Nowak", "lines": ["ul. Długa 5"], "city": "Kraków",
               "postal_code": "31-147", "country": "PL"}  # fmt: skip
    do_upsert_contact({"email": "ana@example.com", "first_name": "Ana", "postal_address": address})
    do_upsert_contact({"email": "bea@example.com", "first_name": "Bea"})
    client = signed_in("viewer")
    body = client.get("/app/campaigns/letters/messages/letter", {"contact": "ana@example.com"})
    found = re.search(r'<img class="page" id="preview-page" src="data:image/png;base64,([^"]+)"',
                      body.content.decode())  # fmt: skip
    assert found is not None
    image = Image.open(io.BytesIO(base64.b64decode(found.group(1))))
    a4 = page_format("a4")  # the default format: trim size plus the bleed on each side
    ratio = (a4.width + 2 * a4.bleed) / (a4.height + 2 * a4.bleed)
    assert image.format == "PNG" and abs(image.width / image.height - ratio) < 0.01
    assert "Its only page, as printed" in body.content.decode()
    skipped = client.get("/app/campaigns/letters/messages/letter", {"contact": "bea@example.com"})
    assert "skipped: no postal address" in skipped.content.decode()


OFFER = """\
key: offer
name: Offer
strict: true
trigger: {subscribed: news}
steps:
  - send: email
    template: offer
    coupon: {percent_off: 10, expires_in: 7d}
templates:
  offer:
    en: {subject: "Your code {{ coupon.code }} ({{ coupon.discount }})", html: "<p>Hi</p>"}
"""


def test_a_step_with_a_coupon_previews_with_a_sample_code() -> None:
    do_apply_campaign(OFFER)  # strict: without a coupon, its subject could not be rendered
    body = html.unescape(
        signed_in("viewer").get("/app/campaigns/offer/messages/offer").content.decode()
    )
    code = re.search(r"With a sample coupon, (\S+): each contact gets a code of their own", body)
    assert code is not None
    assert f"Your code {code.group(1)} (10%)" in body
