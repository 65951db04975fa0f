"""A German form in a real browser: its page, a refused submission, the thank-you page and the
confirmation email, sent by ``goteo worker`` to a real SMTP server on loopback."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.form_sites import FormSite, form_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real browser and server

GERMAN = Path(__file__).resolve().parents[2] / "examples" / "newsletter-de-form.yaml"


@pytest.fixture
def german_site(goteo_env: dict[str, str]) -> Iterator[FormSite]:
    with form_site(goteo_env, ("form", GERMAN)) as running:
        yield running


def test_the_german_form_in_a_browser(page: Any, german_site: FormSite, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(f"{german_site.url}/f/newsletter-de")
    assert page.locator("html").get_attribute("lang") == "de"
    expect(page.locator("h1")).to_have_text("Der Goteo-Newsletter")
    language = page.get_by_label("Sprache")
    expect(language.locator("option")).to_have_text(["Deutsch", "English", "Français"])
    expect(language).to_have_value("de")
    page.screenshot(path=str(tmp_path / "form-de.png"), full_page=True)

    # The browser's own check would stop an invalid address; the server's answer is German too.
    page.get_by_label("E-Mail-Adresse").evaluate("input => input.type = 'text'")
    page.get_by_label("E-Mail-Adresse").fill("keine-adresse")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.locator(".notice")).to_have_text("Bitte korrigieren Sie die markierten Felder.")
    error = page.locator("#goteo-email-error")
    expect(error).to_have_text("Bitte geben Sie eine gültige E-Mail-Adresse ein.")
    page.screenshot(path=str(tmp_path / "form-de-error.png"), full_page=True)

    page.get_by_label("E-Mail-Adresse").fill("jonas@example.com")
    page.get_by_label("Vorname").fill("Jonas")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.locator("h1")).to_have_text("Bitte sehen Sie in Ihr Postfach")

    (confirmation,) = german_site.wait_for_messages(1)
    assert str(confirmation["subject"]) == (
        "Bitte bestätigen Sie Ihr Abonnement: Der Goteo-Newsletter"
    )
    body = confirmation.get_body(("html",))
    assert body is not None
    link = re.search(r'href="([^"]+/c/[^"]+)"', str(body.get_content()))
    assert link is not None
    page.goto(html.unescape(link.group(1)))
    expect(page.locator("h1")).to_have_text("Abonnement bestätigen")
    page.get_by_role("button", name="Bestätigen").click()
    expect(page.locator("h1")).to_have_text("Ihr Abonnement ist bestätigt")
    assert german_site.contact_status("jonas@example.com") == "active"
