"""The Results page's charts in a real browser: Chart.js draws the figures passed as JSON,
with data points, no console error, and titles in the page's language."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Site
from tests.e2e.test_console import create_admin, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real browser and server

# Each chart's title and the sum of its data points, read from Chart.js itself.
CHARTS = """() => [...document.querySelectorAll('canvas[data-measure]')].map(c => {
  const chart = Chart.getChart(c);
  return chart && {
    measure: c.dataset.measure,
    title: chart.options.plugins.title.text,
    points: chart.data.datasets.reduce((n, d) => n + d.data.reduce((a, b) => a + b, 0), 0),
    drawn: c.width > 0 && c.height > 0,
  };
})"""


def test_the_results_charts_render_with_data_points(page: Any, site: Site) -> None:
    from playwright.sync_api import expect

    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(f"{m.text} {m.location}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    create_admin(site)
    sign_in(page, site)
    page.goto(f"{site.url}/app/results?campaign=e2e-welcome")
    expect(page.locator("h1")).to_have_text("Results: Browser welcome")
    charts = {c["measure"]: c for c in page.evaluate(CHARTS)}
    assert set(charts) == {"sends", "opens", "clicks", "conversions", "exposures"}
    assert all(c["drawn"] for c in charts.values())
    assert charts["sends"]["points"] == 1  # the one welcome email, today
    assert charts["sends"]["title"] == "Messages sent"
    expect(page.locator("#time-table tbody")).to_contain_text("email")
    page.get_by_role("button", name="Español").click()
    expect(page.locator("h1")).to_have_text("Resultados: Browser welcome")
    spanish = {c["measure"]: c for c in page.evaluate(CHARTS)}
    assert spanish["sends"]["title"] == "Mensajes enviados"
    assert errors == []
