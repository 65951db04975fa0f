"""Double opt-in in a real browser: the hosted form, the confirmation email, the first drip.

``goteo serve`` and ``goteo worker`` run as real processes; the worker sends through a real
SMTP server on loopback, from which the test reads the confirmation link.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.form_sites import FormSite, form_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real browser and server

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


@pytest.fixture
def site(tmp_path: Path, goteo_env: dict[str, str]) -> Iterator[FormSite]:
    """``goteo serve`` and ``goteo worker`` over a database with one form and one campaign."""
    for name, text in (("campaign.yaml", CAMPAIGN), ("form.yaml", FORM)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    documents = (("campaign", tmp_path / "campaign.yaml"), ("form", tmp_path / "form.yaml"))
    with form_site(goteo_env, *documents) as running:
        yield running


def test_double_opt_in_from_the_form_to_the_first_drip_message(page: Any, site: FormSite) -> None:
    from playwright.sync_api import expect

    page.goto(f"{site.url}/f/signup")
    expect(page.locator("h1")).to_have_text("El curso")
    page.get_by_label("Correo electrónico").fill("ana@example.com")
    page.get_by_label("Nombre").fill("Ana")
    page.get_by_role("button", name="Suscribirme").click()
    expect(page.locator("h1")).to_have_text("Revisa tu bandeja de entrada")

    (confirmation,) = site.wait_for_messages(1)
    assert str(confirmation["subject"]) == "Confirma tu suscripción a El curso"
    assert confirmation["to"].addresses[0].addr_spec == "ana@example.com"
    body = confirmation.get_body(("html",))
    assert body is not None
    link = re.search(r'href="([^"]+/c/[^"]+)"', str(body.get_content()))
    assert link is not None
    assert site.contact_status("ana@example.com") == "unconfirmed"

    page.goto(html.unescape(link.group(1)))
    expect(page.locator("h1")).to_have_text("Confirma tu suscripción")
    time.sleep(1)  # opening the link sends nothing and confirms nothing
    assert len(site.sink.messages) == 1
    assert site.contact_status("ana@example.com") == "unconfirmed"
    page.get_by_role("button", name="Confirmar").click()
    expect(page.locator("h1")).to_have_text("Tu suscripción está confirmada")

    _confirmation, lesson = site.wait_for_messages(2)
    assert str(lesson["subject"]) == "Lección uno, Ana"
    assert lesson["List-Unsubscribe"] is not None
    assert site.contact_status("ana@example.com") == "active"
    page.get_by_role("link", name="Gestionar tus preferencias").click()
    expect(page.locator("h1")).to_have_text("Tus preferencias de correo")
    expect(page.locator("#topics input[value=news]")).to_be_checked()
