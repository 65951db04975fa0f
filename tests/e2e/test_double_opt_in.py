"""Double opt-in in a real browser: the hosted form, the confirmation email, the first drip.

``goteo serve`` and ``goteo worker`` run as real processes; the worker sends through a real
SMTP server on loopback, from which the test reads the confirmation link.
"""

from __future__ import annotations

import html
import re
import subprocess
import time
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

pytestmark = pytest.mark.browser

CAMPAIGN = """\
key: course
name: The course
trigger: {subscribed: news}
steps:
  - send: email
    template: lesson
templates:
  lesson:
    en: {subject: "Lesson one, {{ contact.first_name | default: 'friend' }}", html: "<p>1</p>"}
    es: {subject: "Lección uno, {{ contact.first_name | default: 'amiga' }}", html: "<p>1</p>"}
"""
FORM = """\
key: signup
name: El curso
locale: es
fields: [email, first_name]
topics: [news]
consent: Quiero recibir el curso por correo; puedo darme de baja cuando quiera.
"""


@dataclass(frozen=True)
class FormSite:
    url: str
    env: dict[str, str]
    sink: SmtpSink

    def wait_for_messages(self, count: int, seconds: float = 30) -> list[EmailMessage]:
        deadline = time.monotonic() + seconds
        while len(self.sink.messages) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        parser = BytesParser(policy=policy.default)
        messages = [parser.parsebytes(raw) for _, _, raw in self.sink.messages]
        assert len(messages) == count, [str(m["subject"]) for m in messages]
        return [m for m in messages if isinstance(m, EmailMessage)]

    def contact_status(self, email: str) -> str:
        return str(goteo_json(self.env, "contacts", "show", email)["status"])


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


@pytest.fixture
def form_site(tmp_path: Path, goteo_env: dict[str, str]) -> Iterator[FormSite]:
    """``goteo serve`` and ``goteo worker`` over a database with one form and one campaign."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with SmtpSink() as sink:
        env = goteo_env | {"GOTEO_BASE_URL": url, "GOTEO_EMAIL_URL": sink.url}
        goteo(env, "migrate")
        for name, text in (("campaign.yaml", CAMPAIGN), ("form.yaml", FORM)):
            (tmp_path / name).write_text(text, encoding="utf-8")
        goteo(env, "campaign", "apply", str(tmp_path / "campaign.yaml"))
        goteo(env, "form", "apply", str(tmp_path / "form.yaml"))
        server = start_goteo(env, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1")
        worker = start_goteo(env, "worker")
        try:
            wait_until_healthy(url, server)
            yield FormSite(url, env, sink)
        finally:
            _stop(worker)
            _stop(server)


def test_double_opt_in_from_the_form_to_the_first_drip_message(
    page: Any, form_site: FormSite
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{form_site.url}/f/signup")
    expect(page.locator("h1")).to_have_text("El curso")
    page.get_by_label("Correo electrónico").fill("ana@example.com")
    page.get_by_label("Nombre").fill("Ana")
    page.get_by_role("button", name="Suscribirme").click()
    expect(page.locator("h1")).to_have_text("Revisa tu bandeja de entrada")

    (confirmation,) = form_site.wait_for_messages(1)
    assert str(confirmation["subject"]) == "Confirma tu suscripción a El curso"
    assert confirmation["to"].addresses[0].addr_spec == "ana@example.com"
    body = confirmation.get_body(("html",))
    assert body is not None
    link = re.search(r'href="([^"]+/c/[^"]+)"', str(body.get_content()))
    assert link is not None
    assert form_site.contact_status("ana@example.com") == "unconfirmed"

    page.goto(html.unescape(link.group(1)))
    expect(page.locator("h1")).to_have_text("Confirma tu suscripción")
    time.sleep(1)  # opening the link sends nothing and confirms nothing
    assert len(form_site.sink.messages) == 1
    assert form_site.contact_status("ana@example.com") == "unconfirmed"
    page.get_by_role("button", name="Confirmar").click()
    expect(page.locator("h1")).to_have_text("Tu suscripción está confirmada")

    _confirmation, lesson = form_site.wait_for_messages(2)
    assert str(lesson["subject"]) == "Lección uno, Ana"
    assert lesson["List-Unsubscribe"] is not None
    assert form_site.contact_status("ana@example.com") == "active"
    page.get_by_role("link", name="Gestionar tus preferencias").click()
    expect(page.locator("h1")).to_have_text("Tus preferencias de correo")
    expect(page.locator("#topics input[value=news]")).to_be_checked()
