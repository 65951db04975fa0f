"""The text part of every shipped template, in every shipped language, against golden files.

Each text is what a contact (or, for the hand-off, a salesperson) reads in a plain-text mail
client: the renderer's text part and, for marketing messages, the compliance footer, as the
worker's composer puts them together. ``GOTEO_UPDATE_GOLDEN=1`` rewrites the golden files
(tests/fixtures/golden/text/); review the change in ``git diff``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from tests.golden import assert_golden, assert_tidy_text

from goteo.content.context import contact_context, render_context
from goteo.content.footer import add_footer
from goteo.content.html_text import html_to_text
from goteo.content.render import Renderer
from goteo.content.system import FORM_MESSAGE, SYSTEM_MESSAGES, system_campaign
from goteo.engine.model import Campaign
from goteo.engine.parser import parse_campaign
from goteo.engine.steps import SendStep
from goteo.forms.definition import parse_form
from goteo.forms.texts import BODY, SUBJECT

BASE = "https://news.example.com"
UNSUBSCRIBE = f"{BASE}/u/1a:Zm9v"
ADDRESS = "Goteo Tests, 1 Example Street, Barcelona"
# One reader per shipped language.
READERS = {
    "en": ("Olivia", "Bennett"),
    "es": ("Lucía", "Fernández"),
    "fr": ("Chloé", "Martin"),
    "it": ("Giulia", "Romano"),
    "pl": ("Zofia", "Nowak"),
    "ru": ("Анна", "Смирнова"),
}
DEMO: Campaign = parse_campaign(
    resources.files("goteo.demo").joinpath("welcome.yaml").read_text(encoding="utf-8")
)
RENDERER = Renderer()


def _context(locale: str, *, named: bool = True, campaign: Campaign = DEMO) -> dict[str, Any]:
    first, last = READERS[locale] if named else ("", "")
    person = contact_context("reader@example.com", first, last, locale, "Europe/Madrid", {})
    return render_context(
        person,
        campaign_key=campaign.key,
        campaign_name=campaign.name,
        message_id="<goteo.1.0123456789abcdef@news.example.com>",
        unsubscribe_url=UNSUBSCRIBE,
        preferences_url=f"{BASE}/p/1a:YmFy",
        base_url=BASE,
        postal_address=ADDRESS,
    )


def _marketing_text(campaign: Campaign, template: str, locale: str) -> str:
    rendered = RENDERER.render(campaign, template, locale, _context(locale, campaign=campaign))
    _, text = add_footer(
        rendered.html,
        rendered.text,
        unsubscribe_url=UNSUBSCRIBE,
        postal_address=ADDRESS,
        locale=locale,
    )
    return text


EMAILS = {s.template for s in DEMO.steps if isinstance(s, SendStep) and s.channel == "email"}
DEMO_PARTS = sorted(
    (template, locale)
    for template, variants in DEMO.templates.items()
    if template in EMAILS  # the course's postcard and text have no email text part
    for locale in variants
)


def test_the_demo_is_five_emails_in_six_languages() -> None:
    assert len(DEMO_PARTS) == 30 and {loc for _, loc in DEMO_PARTS} == set(READERS)


@pytest.mark.parametrize(("template", "locale"), DEMO_PARTS)
def test_demo_text_part(template: str, locale: str) -> None:
    text = _marketing_text(DEMO, template, locale)
    assert_tidy_text(text)
    assert_golden(f"text/drip-101/{template}.{locale}.txt", text)


@pytest.mark.parametrize("locale", sorted(SYSTEM_MESSAGES.locales("confirm")))
def test_confirmation_text_part(locale: str) -> None:
    for named in (True, False):
        context = _context(locale, named=named, campaign=SYSTEM_MESSAGES) | {
            "confirm_url": f"{BASE}/c/Mzo1:abc",
            "form_name": "The Goteo newsletter",
        }
        text = RENDERER.render(SYSTEM_MESSAGES, "confirm", locale, context).text
        assert_tidy_text(text)
        suffix = "" if named else ".anonymous"
        assert_golden(f"text/confirm/{locale}{suffix}.txt", text)


def test_a_forms_own_confirmation_text_part() -> None:
    german = parse_form(
        (Path(__file__).resolve().parents[2] / "examples" / "newsletter-de-form.yaml").read_text(
            encoding="utf-8"
        )
    )
    words = german.texts_for("de")
    own = {FORM_MESSAGE: {"subject": words[SUBJECT], "html": words[BODY]}}
    campaign = system_campaign("confirm", "de", own)
    context = _context("en", campaign=campaign) | {
        "confirm_url": f"{BASE}/c/Mzo1:abc",
        "form_name": german.name,
    }
    rendered = RENDERER.render(campaign, "confirm", "de", context)
    assert rendered.subject == "Bitte bestätigen Sie Ihr Abonnement: Der Goteo-Newsletter"
    assert_tidy_text(rendered.text)
    assert_golden("text/confirm/form-newsletter-de.txt", rendered.text)


def _handoff_context(*, history: bool) -> dict[str, Any]:
    lead = {"email": "ana@example.com", "full_name": "", "locale": "", "timezone": ""}
    shown: dict[str, Any] = {"events": [], "score_changes": [], "campaigns": [], "messages": []}
    if history:
        lead |= {"full_name": "Ana Díaz", "locale": "es", "timezone": "Europe/Madrid"}
        shown = {
            "events": [
                {"at": "2025-03-05 13:58 UTC", "name": "page_view", "details": "url: /pricing"},
                {"at": "2025-03-05 13:40 UTC", "name": "signed_up", "details": ""},
            ],
            "score_changes": [
                {"at": "2025-03-05 13:58 UTC", "points": 25, "reason": "visited pricing"},
                {"at": "2025-03-05 13:40 UTC", "points": 20.5, "reason": "signed up"},
            ],
            "campaigns": [
                {"name": "Drip marketing 101", "status": "active", "at": "2025-03-01 09:00 UTC"}
            ],
            "messages": [
                {"at": "2025-03-04 09:00 UTC", "subject": "Lesson 2", "campaign": "drip-101"}
                | {"engagement": "clicked"},
                {"at": "2025-03-03 09:00 UTC", "subject": "Lesson 1", "campaign": "drip-101"}
                | {"engagement": ""},
                {"at": "2025-03-01 09:00 UTC", "subject": "", "campaign": "drip-101"}
                | {"engagement": "opened"},
            ],
        }
    return _context("en", named=False, campaign=SYSTEM_MESSAGES) | {
        "to": "sales@example.com",
        "lead": lead,
        "score": 45.5,
        "threshold": 40,
        "hot_at": "2025-03-05 14:00 UTC",
        **shown,
    }


@pytest.mark.parametrize("history", [True, False], ids=["history", "no-history"])
def test_lead_handoff_text_part(history: bool) -> None:
    context = _handoff_context(history=history)
    text = RENDERER.render(SYSTEM_MESSAGES, "lead-handoff", "en", context).text
    assert_tidy_text(text)
    assert_golden(f"text/lead-handoff/{'history' if history else 'no-history'}.txt", text)


@pytest.mark.parametrize("locale", sorted(READERS))
def test_footer_text(locale: str) -> None:
    _, text = add_footer(
        "<p>Hi</p>",
        "Hi\n",
        unsubscribe_url=UNSUBSCRIBE,
        postal_address=ADDRESS,
        locale=locale,
    )
    assert_tidy_text(text)
    assert_golden(f"text/footer/{locale}.txt", text)


@pytest.mark.parametrize(
    "html",
    [
        "<div>\n  <div>\n    <p>Hi there,</p>\n    <p>Welcome.</p>\n  </div>\n</div>",
        "<body>\n  <p>\n    Hi   there,\n  </p>\n  <p>Welcome.</p>\n</body>",
    ],
)
def test_html_source_indentation_does_not_reach_the_text(html: str) -> None:
    assert html_to_text(html) == "Hi there,\n\nWelcome.\n"


def test_lists_are_aligned_and_tables_leave_no_blank_padding() -> None:
    html = (
        "<div>\n  <p>Coming:</p>\n  <ul>\n    <li>one</li>\n    <li>two</li>\n  </ul>\n"
        "  <ol><li>first</li><li>second</li></ol>\n"
        "  <table><tr><td>\n    <p>Cell</p>\n  </td></tr></table>\n</div>"
    )
    assert html_to_text(html) == "Coming:\n\n  * one\n  * two\n 1. first\n 2. second\nCell\n"


LOOP = """
key: loop
name: Loop
steps:
  - send: email
    template: items
templates:
  items:
    en:
      subject: Items
      html: |
        <div>
          <p>Your items:</p>
          <ul>
            {% for item in contact.attributes.items %}
            <li>{{ item }}{% if item.size > 3 %} (long){% endif %}</li>
            {% endfor %}
          </ul>
        </div>
"""


def test_a_loop_in_the_html_makes_one_aligned_line_per_item() -> None:
    campaign = parse_campaign(LOOP)
    context = _context("en", campaign=campaign)
    context["contact"]["attributes"] = {"items": ["tea", "coffee", "cocoa"]}
    text = RENDERER.render(campaign, "items", "en", context).text
    assert text == "Your items:\n\n  * tea\n  * coffee (long)\n  * cocoa (long)\n"
