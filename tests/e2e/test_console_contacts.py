"""The web app's contacts in a real browser: a CSV import with one bad row (the progress bar
reaches 100 % and the bad line is reported), contact fields rendered as text (no injected
element, no dialog), and a contact's timeline gaining an entry while the worker runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.axe import serious_violations
from tests.e2e.conftest import Site
from tests.e2e.test_console import create_admin, sign_in
from tests.integration.procs import goteo, goteo_json
from tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real browser and server

XSS_NAME = '<img id="injected" src=x onerror="alert(1)">'
CSV = (
    "Email address,First name,Plan\n"
    f'lia@example.com,"{XSS_NAME.replace(chr(34), chr(34) * 2)}",gold\n'
    "not-an-address,Bob,silver\n"
    "mo@example.com,Mo,=1+1\n"
)


def test_import_a_csv_with_one_bad_row_and_see_its_fields_as_text(
    page: Any, site: Site, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    dialogs: list[str] = []

    def opened(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", opened)
    create_admin(site)
    sign_in(page, site)
    page.get_by_role("link", name="Contacts").click()
    page.get_by_role("link", name="Import a CSV").click()
    upload = tmp_path / "people.csv"
    upload.write_text(CSV, encoding="utf-8")
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Upload").click()

    expect(page.locator("h1")).to_have_text("Choose the columns")
    expect(page.get_by_label("Email address")).to_have_value("email")  # guessed from the header
    expect(page.get_by_label("First name")).to_have_value("first_name")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Import").click()

    expect(page.locator("#import-progress")).to_have_attribute("value", "100")
    expect(page.locator("#import-percent")).to_have_text("100 %")
    expect(page.locator("#import-errors tbody tr")).to_have_count(1)
    expect(page.locator("#import-errors tbody")).to_contain_text("3")
    expect(page.locator("#import-errors tbody")).to_contain_text("email:")
    expect(page.locator("#import-counts")).to_contain_text("2")
    assert serious_violations(page) == []

    page.get_by_role("link", name="See the contacts").click()
    page.get_by_label("Address or name contains").fill("lia")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("tbody")).to_contain_text(XSS_NAME)  # shown as text
    page.get_by_role("link", name="lia@example.com").click()
    expect(page.locator("#contact-name")).to_contain_text(XSS_NAME)
    expect(page.locator("main")).to_contain_text("gold")  # an attribute, from the Plan column
    assert page.locator("#injected").count() == 0
    assert page.locator("main img").count() == 0
    assert dialogs == []


def test_a_contacts_timeline_gains_the_message_as_the_worker_sends_it(
    page: Any, site: Site
) -> None:
    from playwright.sync_api import expect

    goteo(site.env, "contacts", "add", "noa@example.com", "--first-name", "Noa", "--subscribe",
          "news")  # fmt: skip
    create_admin(site)
    sign_in(page, site)
    page.goto(f"{site.url}/app/contacts?q=noa")
    page.get_by_role("link", name="noa@example.com").click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Entered")  # enrolled; nothing sent yet
    expect(timeline.locator(".entry-message")).to_have_count(0)
    assert serious_violations(page) == []

    with SmtpSink() as sink:
        totals = goteo_json(site.env | {"GOTEO_EMAIL_URL": sink.url}, "worker", "--until-idle")
    assert totals["sent"] == 1, totals
    # The page is not reloaded: its poll brings the new entries in.
    expect(timeline.locator(".entry-message")).to_contain_text("Welcome, Noa")
    expect(timeline.locator(".entry-message")).to_contain_text("sent")
