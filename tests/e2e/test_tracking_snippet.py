"""The tracking snippet in Chromium: a site on another origin embeds ``/t.js`` from
``goteo serve``; page views, the queue, identify and the merge, Do-Not-Track and consent."""

from __future__ import annotations

import functools
import json
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.integration.procs import free_port, goteo, start_goteo, wait_until_healthy

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real browser and server

STUB = (
    "window.goteo = window.goteo || [];"
    '["track", "identify", "page", "consent"].forEach(function (m) {'
    " goteo[m] = goteo[m] || function () { goteo.push([m].concat([].slice.call(arguments))); };"
    " });"
)
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<script>{stub}</script>
<script src="{goteo}/t.js" async{attrs}></script></head>
<body><h1>{title}</h1><a id="next" href="/two.html">Next</a>
<script>{inline}</script></body></html>
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class Setup:
    goteo_url: str
    site_url: str  # allowed in GOTEO_TRACKING_ORIGINS
    other_url: str  # the same pages under an origin that is not allowed
    database_url: str

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        url = self.database_url
        if url.startswith("sqlite:///"):
            path = url.removeprefix("sqlite:///")
            with closing(sqlite3.connect(path, timeout=30)) as conn:
                return list(conn.execute(sql.replace("%s", "?"), params).fetchall())
        import psycopg

        with psycopg.connect(url) as conn:
            return list(conn.execute(sql, params).fetchall())

    def events(self, anonymous_id: str) -> list[tuple[str, dict[str, Any], int | None]]:
        found = self.rows(
            "SELECT name, properties, contact_id FROM goteo_event WHERE anonymous_id = %s"
            " ORDER BY id",
            anonymous_id,
        )
        return [(n, p if isinstance(p, dict) else json.loads(p), c) for n, p, c in found]

    def count_events(self) -> int:
        return int(self.rows("SELECT COUNT(*) FROM goteo_event")[0][0])


def write_pages(folder: Path, goteo_url: str) -> None:
    def page(name: str, title: str, attrs: str = "", inline: str = "") -> None:
        html = PAGE.format(title=title, stub=STUB, goteo=goteo_url, attrs=attrs, inline=inline)
        (folder / name).write_text(html, encoding="utf-8")

    page("one.html", "Page one", inline='goteo.track("cta_seen", {plan: "pro"});')
    page("two.html", "Page two")
    page("consent.html", "Consent page", attrs=' data-consent="required"')


def serve_folder(folder: Path, port: int) -> ThreadingHTTPServer:
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def setup(tmp_path: Path, goteo_env: dict[str, str], database_url: str) -> Iterator[Setup]:
    goteo_port, site_port = free_port(), free_port()
    goteo_url = f"http://127.0.0.1:{goteo_port}"
    site_url = f"http://127.0.0.1:{site_port}"
    env = goteo_env | {"GOTEO_BASE_URL": goteo_url, "GOTEO_TRACKING_ORIGINS": site_url}
    goteo(env, "migrate")
    folder = tmp_path / "site"
    folder.mkdir()
    write_pages(folder, goteo_url)
    pages = serve_folder(folder, site_port)
    server = start_goteo(env, "serve", "--bind", f"127.0.0.1:{goteo_port}", "--workers", "1")
    try:
        wait_until_healthy(goteo_url, server)
        other = f"http://localhost:{site_port}"
        yield Setup(goteo_url, site_url, other, database_url)
    finally:
        pages.shutdown()
        pages.server_close()
        server.terminate()
        try:
            server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


def wait_for(check: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the events to arrive")
        time.sleep(0.1)


def collect_requests(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if "/t/collect" in r.url else None)
    return seen


def visitor_id(page: Any) -> str:
    cookies = dict(c.split("=", 1) for c in page.evaluate("document.cookie").split("; ") if c)
    aid = cookies["_goteo_aid"]
    assert page.evaluate("localStorage.getItem('goteo_aid')") == aid
    return str(aid)


def test_page_views_then_identify_merge_the_history(page: Any, setup: Setup) -> None:
    requests = collect_requests(page)
    page.goto(f"{setup.site_url}/one.html")
    page.wait_for_function("window.goteo && window.goteo.loaded === true")
    aid = visitor_id(page)
    wait_for(lambda: len(setup.events(aid)) >= 2)
    page.click("#next")
    page.wait_for_function("document.title === 'Page two' && window.goteo.loaded === true")
    assert visitor_id(page) == aid  # the same visitor on the next page
    wait_for(lambda: len(setup.events(aid)) >= 3)
    events = setup.events(aid)
    by_name = [(name, props) for name, props, _ in events]
    # The call queued by the stub before the script loaded is kept.
    assert ("cta_seen", {"plan": "pro"}) in by_name
    views = [props for name, props in by_name if name == "page_view"]
    assert views == [
        {"url": f"{setup.site_url}/one.html", "title": "Page one", "referrer": ""},
        {"url": f"{setup.site_url}/two.html", "title": "Page two",
         "referrer": f"{setup.site_url}/one.html"},
    ]  # fmt: skip
    assert all(contact is None for _, _, contact in events)
    assert requests, "the browser sent nothing to /t/collect"

    page.evaluate("goteo.identify('Zoe@Example.com')")
    zoe = "SELECT id FROM goteo_contact WHERE email = 'zoe@example.com'"
    wait_for(lambda: bool(setup.rows(zoe)))
    ((contact_id,),) = setup.rows(zoe)
    wait_for(lambda: all(c == contact_id for _, _, c in setup.events(aid)))
    assert len(setup.events(aid)) == 3
    visitor = setup.rows("SELECT contact_id FROM goteo_visitor WHERE anonymous_id = %s", aid)
    assert visitor == [(contact_id,)]
    assert setup.rows("SELECT id FROM goteo_subscription WHERE contact_id = %s", contact_id) == []

    page.evaluate("goteo.track('added_to_cart', {sku: 'A1'})")
    wait_for(lambda: len(setup.events(aid)) == 4)
    assert setup.events(aid)[-1] == ("added_to_cart", {"sku": "A1"}, contact_id)


@pytest.mark.parametrize(
    "script",
    [
        "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})",
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})",
    ],
    ids=["dnt", "gpc"],
)
def test_do_not_track_and_gpc_send_nothing(browser: Any, setup: Setup, script: str) -> None:
    context = browser.new_context()
    try:
        context.add_init_script(script)
        page = context.new_page()
        requests = collect_requests(page)
        page.goto(f"{setup.site_url}/one.html")
        page.wait_for_function("window.goteo && window.goteo.loaded === true")
        page.evaluate("goteo.track('custom', {}); goteo.identify('dnt@example.com')")
        page.click("#next")
        page.wait_for_function("document.title === 'Page two' && window.goteo.loaded === true")
        time.sleep(1)
        assert requests == []
        assert "_goteo_aid" not in page.evaluate("document.cookie")
        assert setup.count_events() == 0
        assert setup.rows("SELECT id FROM goteo_contact") == []
    finally:
        context.close()


def test_consent_required_waits_for_consent(page: Any, setup: Setup) -> None:
    requests = collect_requests(page)
    page.goto(f"{setup.site_url}/consent.html")
    page.wait_for_function("window.goteo && window.goteo.loaded === true")
    page.evaluate("goteo.track('custom', {})")
    time.sleep(1)
    assert requests == [] and setup.count_events() == 0
    assert "_goteo_aid" not in page.evaluate("document.cookie")

    page.evaluate("goteo.consent(true)")  # what waited is sent now
    aid = visitor_id(page)
    wait_for(lambda: len(setup.events(aid)) == 2)
    assert [name for name, _, _ in setup.events(aid)] == ["page_view", "custom"]

    page.evaluate("goteo.consent(false)")  # forget the visitor and send nothing more
    assert "_goteo_aid" not in page.evaluate("document.cookie")
    assert page.evaluate("localStorage.getItem('goteo_aid')") is None
    page.evaluate("goteo.track('after_refusal', {})")
    page.reload()
    page.wait_for_function("window.goteo && window.goteo.loaded === true")
    time.sleep(1)
    assert setup.count_events() == 2


def test_an_origin_that_is_not_allowed_records_nothing(page: Any, setup: Setup) -> None:
    requests = collect_requests(page)
    page.goto(f"{setup.other_url}/one.html")
    page.wait_for_function("window.goteo && window.goteo.loaded === true")
    wait_for(lambda: len(requests) >= 2)  # the browser did try
    time.sleep(1)
    assert setup.count_events() == 0
    allowed = page.evaluate(
        """async (url) => {
            try { await fetch(url, {method: "POST", body: "{}",
                  headers: {"Content-Type": "application/json"}}); return true; }
            catch (e) { return false; }
        }""",
        f"{setup.goteo_url}/t/collect",
    )
    assert allowed is False  # the preflight is refused, so the page cannot read an answer
