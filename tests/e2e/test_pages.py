"""The pages a person sees, in a real browser: the outbox and the unsubscribe flow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Site
from tests.integration.procs import goteo

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real browser and server


def contact_status(site: Site) -> str:
    rows = [
        json.loads(line)
        for line in goteo(site.env, "contacts", "export", "--format", "json").stdout.splitlines()
    ]
    (row,) = [r for r in rows if r["email"] == site.contact]
    return str(row["status"])


def open_caught_message(page: Any, site: Site) -> Any:
    """Open the outbox, click the caught message's subject; return the tab that shows it."""
    page.goto(f"{site.url}/outbox")
    link = page.locator("#caught").get_by_role("link", name="Bienvenida, Ana")
    with page.context.expect_page() as opened:
        link.click()
    message = opened.value
    message.wait_for_load_state()
    return message


def test_outbox_shows_deliveries_and_the_caught_message(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page.goto(f"{site.url}/outbox")
    expect(page.locator("h1")).to_have_text("Outbox")
    row = page.locator("#deliveries tr", has_text=site.contact)
    expect(row).to_have_count(1)
    for text in ("sent", "e2e-welcome", "step-1", "es", "Bienvenida, Ana"):
        expect(row).to_contain_text(text)
    caught = page.locator("#caught tr", has_text="Bienvenida, Ana")
    expect(caught).to_have_count(1)
    expect(caught).to_contain_text(site.contact)

    message = open_caught_message(page, site)
    expect(message.locator("body")).to_contain_text("Hola.")
    expect(message.locator("#unsubscribe")).to_have_text("Darse de baja")
    assert message.locator("#unsubscribe").get_attribute("href") == site.unsubscribe_url


def test_unsubscribe_link_asks_then_unsubscribes(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    message = open_caught_message(page, site)
    message.locator("#unsubscribe").click()
    expect(message.locator("h1")).to_have_text("Unsubscribe?")
    assert message.url == site.unsubscribe_url
    assert contact_status(site) == "active", "opening the link unsubscribed"

    message.get_by_role("button", name="Unsubscribe").click()
    expect(message.locator("h1")).to_have_text("You are unsubscribed")
    assert contact_status(site) == "unsubscribed"

    message.goto(site.unsubscribe_url)
    expect(message.locator("h1")).to_have_text("You are already unsubscribed")
    expect(message.get_by_role("button", name="Unsubscribe")).to_have_count(0)


def test_a_damaged_unsubscribe_link_changes_nothing(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    response = page.goto(site.unsubscribe_url[:-3])
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("This link is not valid")
    assert contact_status(site) == "active"


FORM = """\
key: signup
name: Noticias
locale: es
topics: [news]
consent: Quiero recibir las noticias por correo.
"""


def test_outbox_labels_a_confirmation_email(page: Any, site: Site, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    form = tmp_path / "form.yaml"
    form.write_text(FORM, encoding="utf-8")
    goteo(site.env, "form", "apply", str(form))
    page.goto(f"{site.url}/f/signup")
    page.get_by_label("Correo electrónico").fill("luis@example.com")
    page.get_by_role("button", name="Suscribirme").click()
    expect(page.locator("h1")).to_have_text("Revisa tu bandeja de entrada")

    page.goto(f"{site.url}/outbox")
    row = page.locator("#deliveries tr", has_text="luis@example.com")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(4)).to_have_text("confirmation")
    expect(row.locator("td").nth(5)).to_have_text("confirm")
    marketing = page.locator("#deliveries tr", has_text=site.contact)
    expect(marketing.locator("td").nth(4)).to_have_text("e2e-welcome")
    expect(page.locator("#deliveries")).not_to_contain_text("None")
    page.screenshot(path=str(tmp_path / "outbox.png"), full_page=True)
