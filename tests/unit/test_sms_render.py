"""An SMS renders like an email: a value the contact lacks prints as nothing, unless the
campaign is strict."""

from __future__ import annotations

import pytest

from goteo.content.render import RenderError
from goteo.content.sms_render import sms_for_contact
from goteo.engine.parser import parse_campaign

CAMPAIGN = """\
key: texts
name: Texts
default_locale: en
{strict}steps:
  - send: sms
    template: hi
templates:
  hi:
    en: {{text: "Hi {{{{ contact.attributes.nickname }}}}, our sale starts today"}}
"""
ANA = {"email": "ana@example.com", "first_name": "Ana", "locale": "en", "attributes": {}}


def render(strict: str) -> str:
    campaign = parse_campaign(CAMPAIGN.format(strict=strict))
    return sms_for_contact(campaign, "hi", "en", ANA, base_url="http://testserver", message_id="0")


def test_a_missing_value_prints_as_nothing() -> None:
    assert render("") == "Hi , our sale starts today"


def test_a_strict_campaign_refuses_to_render_it() -> None:
    with pytest.raises(RenderError, match="nickname"):
        render("strict: true\n")
