"""A form with a phone field and the SMS opt-in box, in a real browser, against ``goteo serve``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.form_sites import FormSite, form_site
from tests.integration.procs import goteo

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real browser and server

FORM = """\
key: offers
name: Ofertas
locale: es
double_opt_in: false
fields: [email, phone]
topics: [offers]
consent: Quiero recibir ofertas por correo.
sms_consent: Y por SMS, como mucho uno a la semana. Responde STOP para darte de baja.
"""


@pytest.fixture
def site(tmp_path: Path, goteo_env: dict[str, str]) -> Iterator[FormSite]:
    (tmp_path / "form.yaml").write_text(FORM, encoding="utf-8")
    env = goteo_env | {"GOTEO_DEFAULT_REGION": "ES"}
    with form_site(env, ("form", tmp_path / "form.yaml")) as running:
        yield running


def test_the_phone_and_the_sms_box_record_sms_consent(page: Any, site: FormSite) -> None:
    from playwright.sync_api import expect

    page.goto(f"{site.url}/f/offers")
    page.get_by_label("Correo electrónico").fill("ana@example.com")
    page.get_by_label("Teléfono móvil").fill("12")
    page.get_by_label("Y por SMS").check()
    page.get_by_role("button", name="Suscribirme").click()
    expect(page.locator("#goteo-phone-error")).to_contain_text("Escribe un móvil con su prefijo")

    page.get_by_label("Teléfono móvil").fill("612 34 56 78")
    page.get_by_label("Y por SMS").check()
    page.get_by_role("button", name="Suscribirme").click()
    expect(page.locator("h1")).to_have_text("¡Gracias!")
    lines = goteo(site.env, "consent", "export", "--sms", "--json").stdout.splitlines()
    [record] = [json.loads(line) for line in lines]
    assert (record["email"], record["phone"], record["status"]) == (
        "ana@example.com", "+34612345678", "granted",
    )  # fmt: skip
    assert record["source"] == "form" and record["text"].startswith("Y por SMS")
    assert record["ip"] == "127.0.0.1"
