"""Messages, forms and the outbox in the web app, in a real browser: a message previewed in
two languages (and the page itself in Spanish), and hostile templates and contact fields
previewed and listed without anything running or being injected."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.axe import serious_violations
from tests.e2e.conftest import Site
from tests.e2e.test_console import create_admin, sign_in
from tests.integration.procs import goteo, goteo_json
from tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real browser and server

HOSTILE = (
    "<script>alert(1)</script><img src=x onerror=\"document.body.dataset.pwned='1';alert(2)\">"
)
# JSON, which YAML reads: the hostile strings need no quoting rules of their own.
XSS_CAMPAIGN = json.dumps(
    {
        "key": "hostile",
        "name": f"Hostile {HOSTILE}",
        "trigger": {"subscribed": "news"},
        "steps": [{"send": "email", "template": "trap"}],
        "templates": {
            "trap": {
                "en": {
                    "subject": "Hi {{ contact.first_name | default: 'x' }} " + HOSTILE,
                    "html": "<p>Hi {{ contact.first_name | default: 'x' }}</p>" + HOSTILE,
                }
            }
        },
    }
)


def _frame_text(page: Any, frame: str) -> str:
    return str(page.frame_locator(frame).locator("body").inner_text())


def test_a_message_previews_in_two_languages(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    create_admin(site)
    sign_in(page, site)
    page.goto(f"{site.url}/app/campaigns/e2e-welcome")
    page.get_by_role("link", name="Messages and previews").click()
    expect(page.locator("h1")).to_contain_text("Messages")
    page.get_by_role("link", name="Preview").click()
    page.get_by_label("Contact's email").fill(site.contact)
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#preview-for")).to_contain_text(f"As {site.contact} would receive it")
    expect(page.locator("#preview-subject")).to_have_text("Bienvenida, Ana")  # her locale
    assert "Hola." in _frame_text(page, "#preview-html")
    expect(page.locator("#preview-text")).to_contain_text("Hola.")
    page.get_by_label("Language").select_option("en")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#preview-subject")).to_have_text("Welcome, Ana")
    assert "Hi." in _frame_text(page, "#preview-html")
    assert serious_violations(page) == []

    page.get_by_role("button", name="Español").click()  # the page itself in Spanish
    expect(page.locator("h1")).to_contain_text("Vista previa")
    expect(page.locator("#preview-for")).to_contain_text(f"Como lo recibiría {site.contact}")
    expect(page.locator("#preview-subject")).to_have_text("Welcome, Ana")  # still English


def test_hostile_templates_and_fields_preview_and_list_without_running(
    page: Any, site: Site, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    campaign = tmp_path / "hostile.yaml"
    campaign.write_text(XSS_CAMPAIGN, encoding="utf-8")
    goteo(site.env, "campaign", "apply", str(campaign))
    form = tmp_path / "form.json"
    hostile_form = {"key": "hostile", "name": HOSTILE, "intro": HOSTILE, "topics": ["news"]}
    form.write_text(json.dumps(hostile_form | {"consent": "Yes."}), encoding="utf-8")
    goteo(site.env, "form", "apply", str(form))
    evil = "evil@example.com"
    goteo(site.env, "contacts", "add", evil, "--first-name", HOSTILE, "--subscribe", "news")
    with SmtpSink() as sink:
        sent = goteo_json(site.env | {"GOTEO_EMAIL_URL": sink.url}, "worker", "--until-idle")
        assert sent["sent"] >= 1, sent
        box = mailbox.Maildir(site.env["GOTEO_MAILBOX"], create=True)
        for _, _, raw in sink.messages:
            box.add(mailbox.MaildirMessage(raw))
        box.close()
    dialogs: list[str] = []

    def opened(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", opened)
    create_admin(site)
    sign_in(page, site)

    def nothing_ran(frame: str | None = None) -> None:
        assert dialogs == []
        assert page.locator("img[src='x']").count() == 0  # not in the page itself
        assert page.locator("body[data-pwned]").count() == 0
        if frame is not None:  # the message's own picture is there, and did not run
            expect(page.frame_locator(frame).locator("img[src='x']")).to_have_count(1)
            expect(page.frame_locator(frame).locator("body[data-pwned]")).to_have_count(0)

    page.goto(f"{site.url}/app/campaigns/hostile/messages")
    expect(page.locator("pre").first).to_contain_text("<script>alert(1)</script>")  # as text
    nothing_ran()
    page.goto(f"{site.url}/app/campaigns/hostile/messages/trap?contact={evil}")
    expect(page.locator("#preview-subject")).to_contain_text("<script>alert(1)</script>")
    nothing_ran("#preview-html")  # the name is escaped: only the template's own picture
    page.goto(f"{site.url}/app/outbox")
    expect(page.locator("#deliveries")).to_contain_text("<script>alert(1)</script>")
    nothing_ran()
    page.locator("#caught a", has_text="<script>").first.click()
    expect(page.locator("#caught-to")).to_contain_text(evil)
    nothing_ran("#caught-html")
    assert serious_violations(page) == []
    page.goto(f"{site.url}/app/forms")
    expect(page.locator("tbody")).to_contain_text("<script>alert(1)</script>")
    nothing_ran()
    page.goto(f"{site.url}/app/forms/hostile")
    expect(page.frame_locator("#form-preview").locator("h1")).to_contain_text("<script>")
    nothing_ran()
    assert serious_violations(page) == []
