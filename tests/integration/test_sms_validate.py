"""``goteo campaign validate`` prints the SMS segment warnings, with the file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.integration.procs import goteo

pytestmark = pytest.mark.slow  # every test here runs `goteo` as a real process

TEXTS = """\
key: texts
steps:
  - send: sms
    template: offer
    max_segments: 1
templates:
  offer:
    en:
      text: "Hi {{ contact.first_name | default: 'there' }}! Our biggest sale starts today."
    ru:
      text: >-
        Привет, {{ contact.first_name | default: 'друг' }}! Большая распродажа:
        скидка 10% на всё до воскресенья.
"""


@pytest.fixture
def sms_env(goteo_env: dict[str, str]) -> dict[str, str]:
    """A configuration that offers SMS (validate refuses an sms step without one)."""
    return goteo_env | {"GOTEO_SMS_URL": "memory:"}


def test_validate_warns_about_a_text_past_its_segments(
    sms_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "texts.yaml"
    path.write_text(TEXTS, encoding="utf-8")
    result = goteo(sms_env, "campaign", "validate", str(path))
    assert result.stdout.strip() == f"{path}: valid (texts, 1 step)"
    assert result.stderr.splitlines() == [
        f"{path}: 1 warning(s):",
        f"  {path}:line 11: templates.offer.ru.text: renders to 2 SMS segments for a sample "
        "contact (72 characters, UCS2); steps[0] allows 1 (max_segments)",
    ]
    as_json = json.loads(goteo(sms_env, "campaign", "validate", str(path), "--json").stdout)
    assert [w["path"] for w in as_json["warnings"]] == ["templates.offer.ru.text"]


def test_simulate_shows_the_text_an_sms_step_sends(sms_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "texts.yaml"
    path.write_text(TEXTS, encoding="utf-8")
    contact = '{"first_name": "Ana", "locale": "ru"}'
    result = goteo(sms_env, "simulate", str(path), "--contact", contact, "--json")
    [send] = [e for e in json.loads(result.stdout) if e["kind"] == "send"]
    assert send["channel"] == "sms"
    assert send["subject"] == ("Привет, Ana! Большая распродажа: скидка 10% на всё до воскресенья.")
