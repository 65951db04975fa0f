"""The web app in a real browser: sign in, the dashboard, pausing and resuming a campaign,
a test send to seed addresses, signing out; and no serious accessibility violation on any of
its pages."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.axe import serious_violations
from tests.e2e.conftest import Site
from tests.integration.flow_helpers import parse
from tests.integration.procs import goteo_json
from tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real browser and server

ADMIN, PASSWORD = "admin@example.com", "a-long-e2e-password-7"
PAGES: tuple[str, ...] = ("", "campaigns", "campaigns/e2e-welcome", "contacts", "forms",
                          "results", "outbox", "audit", "users")  # fmt: skip
PAGES += ("contacts/1", "contacts/import", "contacts/1/erase")  # fmt: skip
PAGES += ("editor", "campaigns/e2e-welcome/edit", "campaigns/e2e-welcome/versions",
          "campaigns/e2e-welcome/simulate?email=ana@example.com")  # fmt: skip
PAGES += ("campaigns/e2e-welcome/messages", "campaigns/e2e-welcome/messages/welcome",
          "form-document")  # fmt: skip


def create_admin(site: Site) -> None:
    subprocess.run(
        [sys.executable, "-m", "goteo", "user", "create", ADMIN, "--role", "admin",
         "--password-stdin"],
        env=site.env, input=f"{PASSWORD}\n", text=True, check=True, capture_output=True,
    )  # fmt: skip


def sign_in(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/app/")
    page.get_by_label("Email").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_see_the_dashboard_pause_resume_and_sign_out(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    create_admin(site)
    sign_in(page, site)
    expect(page.locator("h1")).to_have_text("Dashboard")
    assert page.evaluate("typeof htmx") == "object"  # served by the server itself
    running = page.locator("section", has=page.locator("#running-title"))
    expect(running).to_contain_text("Browser welcome")
    expect(page.locator("section", has=page.locator("#messages-title"))).to_contain_text("email")

    page.get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="Browser welcome").click()
    expect(page.locator("#campaign-status")).to_have_text("active")
    page.get_by_label("Reason (optional)").fill("copy review")
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#campaign-status")).to_have_text("paused")
    expect(page.locator("#campaign-reason")).to_have_text("copy review")
    page.get_by_role("link", name="Dashboard").click()
    paused = page.locator("section", has=page.locator("#paused-title"))
    expect(paused).to_contain_text("copy review")

    page.goto(f"{site.url}/app/campaigns/e2e-welcome")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#campaign-status")).to_have_text("active")
    page.get_by_role("link", name="Audit").click()
    expect(page.locator("tbody")).to_contain_text("campaign.resume")
    expect(page.locator("tbody")).to_contain_text(f"user:{ADMIN}")

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    page.goto(f"{site.url}/app/campaigns")
    expect(page.locator("h1")).to_have_text("Sign in")  # the session is gone


def test_a_test_send_from_the_campaign_page_reaches_the_seeds(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    create_admin(site)
    sign_in(page, site)
    page.goto(f"{site.url}/app/campaigns/e2e-welcome")
    page.get_by_label("Seed addresses (comma-separated)").fill("qa@example.org, not-an-address")
    page.get_by_role("button", name="Send the test").click()
    expect(page.locator("#test-seeds-error")).to_contain_text("not-an-address")
    page.get_by_label("Seed addresses (comma-separated)").fill("qa@example.org")
    page.get_by_label("Render for the contact", exact=False).fill(site.contact)
    page.get_by_role("button", name="Send the test").click()
    expect(page.locator("#test-sent")).to_contain_text("1 test message queued")
    expect(page.get_by_label("Seed addresses (comma-separated)")).to_have_value("qa@example.org")
    with SmtpSink() as sink:
        totals = goteo_json(site.env | {"GOTEO_EMAIL_URL": sink.url}, "worker", "--until-idle")
        assert totals["sent"] == 1, totals
        message = parse(sink.messages[0][2])
    assert message["to"].addresses[0].addr_spec == "qa@example.org"
    assert str(message["subject"]).startswith("[Test] ")


def test_enter_in_the_editors_test_send_sends_the_test_and_saves_nothing(
    page: Any, site: Site
) -> None:
    from playwright.sync_api import expect

    create_admin(site)
    sign_in(page, site)
    page.goto(f"{site.url}/app/campaigns/e2e-welcome/versions")
    versions = page.locator("tbody tr").count()
    page.goto(f"{site.url}/app/campaigns/e2e-welcome/edit")
    page.get_by_label("Seed addresses (comma-separated)").fill("qa@example.org")
    page.get_by_label("Seed addresses (comma-separated)").press("Enter")
    expect(page.locator("#test-sent")).to_contain_text("1 test message queued")
    page.goto(f"{site.url}/app/campaigns/e2e-welcome/versions")
    assert page.locator("tbody tr").count() == versions  # no new version was saved


def test_no_serious_accessibility_violation_on_the_app_pages(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page.goto(f"{site.url}/app/login")
    assert serious_violations(page) == []
    page.goto(f"{site.url}/app/password-reset")
    assert serious_violations(page) == []
    create_admin(site)
    sign_in(page, site)
    expect(page.locator("h1")).to_have_text("Dashboard")
    found = {}
    for path in PAGES:
        page.goto(f"{site.url}/app/{path}")
        found[path] = serious_violations(page)
    assert found == {path: [] for path in PAGES}


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page.goto(f"{site.url}/app/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
