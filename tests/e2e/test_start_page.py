"""The start page at ``/`` in a real browser: what it says, where its links go, no cookie."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Site

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real browser and server


def test_the_start_page_links_the_health_check_the_api_document_and_the_outbox(
    page: Any, site: Site, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1000, "height": 640})
    page.goto(f"{site.url}/")
    expect(page.locator("h1")).to_contain_text("Goteo")
    expect(page.locator("main")).to_contain_text("drip-marketing engine")
    links = page.locator("#links a")
    expect(links).to_have_text(["Health check", "API document", "Outbox"])
    page.screenshot(path=str(tmp_path / "start.png"), full_page=True)
    assert page.context.cookies() == []

    page.get_by_role("link", name="Health check").click()
    assert json.loads(page.locator("body").inner_text())["status"] == "ok"
    page.go_back()
    page.get_by_role("link", name="API document").click()
    assert json.loads(page.locator("body").inner_text())["openapi"].startswith("3.")
    page.go_back()
    page.get_by_role("link", name="Outbox").click()
    expect(page.locator("h1")).to_have_text("Outbox")
    assert page.context.cookies() == []
