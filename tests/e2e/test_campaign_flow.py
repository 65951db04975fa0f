"""The campaign pages in a real browser: the diagram with its figures; a campaign made in the
editor (a wait, a branch, two messages) with live validation; simulating it for a contact;
pausing and activating it again."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import Site
from tests.e2e.test_console import create_admin, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real browser and server


def add_step(page: Any, kind: str, **fields: str) -> None:
    from playwright.sync_api import expect

    before = page.locator(".step-list li").count()
    page.get_by_label("Kind").select_option(kind)
    labels = {
        "id": "Step id (optional)",
        "value": "Template, duration or exit reason",
        "condition": "Condition (branch)",
        "then": "Then go to (step id)",
    }
    for name, value in fields.items():
        page.get_by_label(labels[name]).fill(value)
    page.get_by_role("button", name="Add the step").click()
    expect(page.locator(".step-list li")).to_have_count(before + 1)


def test_make_a_campaign_in_the_editor_see_its_diagram_simulate_and_activate(
    page: Any, site: Site
) -> None:
    from playwright.sync_api import expect

    dialogs: list[str] = []

    def seen(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    create_admin(site)
    sign_in(page, site)
    expect(page.locator("h1")).to_have_text("Dashboard")

    # The diagram of the fixture's campaign, with the welcome the worker sent to Ana.
    page.goto(f"{site.url}/app/campaigns/e2e-welcome")
    diagram = page.locator("#flow-diagram svg[role=img]")
    expect(diagram.locator(".flow-node")).to_have_count(3)  # start, the one send, the end
    step = diagram.locator('.flow-node[data-step="step-1"]')
    expect(step).to_contain_text("send · email")
    expect(step).to_contain_text("1 sent")

    page.get_by_role("navigation").get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="New campaign").click()
    source = page.get_by_label("Campaign document (YAML)")
    text = source.input_value().replace("key: new-campaign", "key: e2e-flow")
    source.fill(text.replace("name: New campaign", "name: <img src=x onerror=alert(1)>"))
    expect(page.locator("#valid")).to_contain_text("Valid. 1 step.")

    add_step(page, "wait", value="2 dayz")  # a typo: the live check names it and its line
    expect(page.locator("#problems")).to_contain_text("line 9: steps[1].wait: '2 dayz'")
    source.fill(source.input_value().replace("2 dayz", "2d"))  # typed: checked as typed
    expect(page.locator("#problems")).to_have_count(0)
    expect(page.locator("#valid")).to_contain_text("Valid. 2 steps.")

    add_step(page, "branch", id="plan", condition="{attributes.plan: pro}", then="pro-offer")
    expect(page.locator("#problems")).to_contain_text("pro-offer")  # no such step yet
    add_step(page, "exit", id="bye", value="not on the pro plan")
    add_step(page, "email", id="pro-offer", value="hello")
    expect(page.locator("#valid")).to_contain_text("Valid. 5 steps.")
    page.get_by_role("button", name="Create the campaign").click()

    expect(page).to_have_url(f"{site.url}/app/campaigns/e2e-flow")
    expect(page.locator("h1 img")).to_have_count(0)  # the name is text
    diagram = page.locator("#flow-diagram svg[role=img]")
    expect(diagram.locator(".flow-node")).to_have_count(7)  # start, the five steps, the end
    expect(diagram.locator('.flow-node[data-step="plan"]')).to_contain_text("0 waiting")
    expect(diagram.locator(".flow-edge-label", has_text="yes: attributes.plan")).to_have_count(1)

    page.get_by_role("link", name="Simulate for a contact").click()
    page.get_by_label("Contact's email").fill(site.contact)
    page.get_by_label("Days ahead").fill("5")
    page.get_by_role("button", name="Simulate").click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("email: hello")
    expect(timeline).to_contain_text("exited at exit step 'bye': not on the pro plan")
    assert re.search(r"hello.*branch.*end", timeline.inner_text(), re.S)

    page.get_by_role("link", name="<img src=x onerror=alert(1)>").click()
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#campaign-status")).to_have_text("paused")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#campaign-status")).to_have_text("active")
    assert dialogs == []
