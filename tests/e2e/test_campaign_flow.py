"""The campaign pages in a real browser: the flow drawn as a diagram with its figures."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Site
from tests.e2e.test_console import create_admin, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real browser and server


def test_the_diagram_draws_the_flow_with_its_figures(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    create_admin(site)
    sign_in(page, site)
    expect(page.locator("h1")).to_have_text("Dashboard")
    page.goto(f"{site.url}/app/campaigns/e2e-welcome")
    diagram = page.locator("#flow-diagram svg[role=img]")
    expect(diagram.locator(".flow-node")).to_have_count(3)  # start, the one send, the end
    step = diagram.locator('.flow-node[data-step="step-1"]')
    expect(step).to_contain_text("send · email")
    expect(step).to_contain_text("1 sent")  # the fixture's worker sent Ana's welcome
    expect(diagram.locator(".flow-edge")).to_have_count(2)
    page.get_by_role("button", name="Español").click()
    expect(page.locator('#flow-diagram .flow-node[data-step="step-1"]')).to_contain_text(
        "1 enviados"
    )
