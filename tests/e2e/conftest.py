"""Real-browser fixtures: Chromium driven by Playwright, and ``goteo serve`` as a real process."""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from tests.integration.procs import free_port, goteo, goteo_json, start_goteo, wait_until_healthy
from tests.smtp_sink import SmtpSink

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

CAMPAIGN = """\
key: e2e-welcome
name: Browser welcome
trigger: {subscribed: news}
steps:
  - send: email
    template: welcome
templates:
  welcome:
    en:
      subject: "Welcome, {{ contact.first_name | default: 'friend' }}"
      html: "<p>Hi.</p><p><a id='unsubscribe' href='{{ unsubscribe_url }}'>Unsubscribe</a></p>"
    es:
      subject: "Bienvenida, {{ contact.first_name | default: 'amiga' }}"
      html: "<p>Hola.</p><p><a id='unsubscribe' href='{{ unsubscribe_url }}'>Darse de baja</a></p>"
"""


def _unavailable(reason: str) -> None:
    """Skip with the reason printed, or fail when CI=true (the browser is required there)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run: {reason} (required when CI=true)")
    print(f"skipping browser tests: {reason}", file=sys.stderr)
    pytest.skip(f"browser tests cannot run: {reason}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium (Debian's package; Playwright's own downloads are not used)."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed ({exc})")
        raise  # unreachable: skip or fail raises
    manager = sync_playwright()
    playwright = manager.start()
    try:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as exc:
            _unavailable(f"Chromium does not start: {exc}")
        yield chromium
        chromium.close()
    finally:
        manager.__exit__(None, None, None)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@dataclass(frozen=True)
class Site:
    url: str
    env: dict[str, str]
    contact: str
    message: EmailMessage  # the message the worker sent, also left in the mailbox

    @property
    def unsubscribe_url(self) -> str:
        # "<https://…/u/<token>>, <mailto:…>": the HTTPS link comes first.
        return str(self.message["List-Unsubscribe"]).split(",")[0].strip().strip("<>")


@pytest.fixture
def site(tmp_path: Path, goteo_env: dict[str, str]) -> Iterator[Site]:
    """``goteo serve`` on a free port, over a database where one contact got one email.

    The worker sends that email through a local SMTP server; the test puts the received
    message into the Maildir the outbox page lists (GOTEO_MAILBOX).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    folder = tmp_path / "mailbox"
    env = goteo_env | {
        "GOTEO_OUTBOX_PAGE": "1",
        "GOTEO_MAILBOX": str(folder),
        "GOTEO_BASE_URL": url,
    }
    goteo(env, "migrate")
    campaign = tmp_path / "campaign.yaml"
    campaign.write_text(CAMPAIGN, encoding="utf-8")
    goteo(env, "campaign", "apply", str(campaign))
    contact = "ana@example.com"
    goteo(
        env,
        "contacts",
        "add",
        contact,
        "--first-name",
        "Ana",
        "--locale",
        "es",
        "--subscribe",
        "news",
    )
    with SmtpSink() as sink:
        totals = goteo_json(env | {"GOTEO_EMAIL_URL": sink.url}, "worker", "--until-idle")
        assert totals["sent"] == 1, totals
        raw = sink.messages[0][2]
    box = mailbox.Maildir(folder, create=True)
    box.add(mailbox.MaildirMessage(raw))
    box.close()
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)

    server = start_goteo(env, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1")
    try:
        wait_until_healthy(url, server)
        yield Site(url=url, env=env, contact=contact, message=message)
    finally:
        if server.poll() is None:
            server.terminate()
        try:
            server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
