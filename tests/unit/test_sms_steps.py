"""``send: sms`` steps: text-only templates, no html, ``max_segments``, and validate's warning."""

from __future__ import annotations

import pytest

from goteo.content.checks import check_template
from goteo.content.sms_checks import sms_warnings
from goteo.engine.parser import parse_campaign
from goteo.engine.problems import CampaignInvalid
from goteo.engine.steps import SendStep

CAMPAIGN = """\
key: texts
name: Texts
default_locale: en
steps:
  - send: email
    template: hello
  - send: sms
    template: offer{max}
templates:
  hello:
    en: {{subject: "Hello", html: "<p>Hello</p>"}}
  offer:
    en:
      text: "{en}"
    pl:
      text: "{pl}"
"""


def campaign_text(en: str = "Hi {{ contact.first_name | default: 'there' }}: 10% off today.",
                  pl: str = "Cześć! Rabat 10% dziś.", max_segments: str = "") -> str:  # fmt: skip
    max_line = f"\n    max_segments: {max_segments}" if max_segments else ""
    return CAMPAIGN.format(en=en, pl=pl, max=max_line)


def problems(text: str) -> list[str]:
    with pytest.raises(CampaignInvalid) as caught:
        parse_campaign(text, check_template=check_template)
    return [str(p) for p in caught.value.problems]


def test_an_sms_step_takes_a_text_only_template_and_max_segments() -> None:
    campaign = parse_campaign(campaign_text(max_segments="2"), check_template=check_template)
    step = campaign.steps[1]
    assert isinstance(step, SendStep) and (step.channel, step.max_segments) == ("sms", 2)
    assert campaign.templates["offer"]["pl"].text == "Cześć! Rabat 10% dziś."


def test_html_in_an_sms_template_is_refused_at_its_line() -> None:
    text = campaign_text().replace('text: "Cześć! Rabat 10% dziś."', 'html: "<p>Cześć</p>"')
    text = text.replace("    pl:\n", "    pl:\n      subject: Rabat\n")
    assert problems(text) == [
        "line 17: templates.offer.pl.html: steps[1] sends 'offer' as an SMS: "
        "an SMS template has only text"
    ]


def test_an_email_step_refuses_an_sms_template_and_max_segments() -> None:
    text = campaign_text().replace("template: hello", "template: offer\n    max_segments: 2")
    found = problems(text)
    assert "line 7: steps[0].max_segments: only an sms step has max_segments" in found
    assert (
        "line 14: templates.offer.en: steps[0] sends 'offer' as an email, which needs subject "
        "and html (this is an SMS template: text only)"
    ) in found


@pytest.mark.parametrize("value", ["0", "11", "'two'", "True", "2.5"])
def test_max_segments_must_be_1_to_10(value: str) -> None:
    written = value.strip("'").lower()
    assert problems(campaign_text(max_segments=written)) == [
        f"line 9: steps[1].max_segments: {value} must be a whole number from 1 to 10"
    ]


def test_validate_warns_with_the_line_when_a_rendered_text_passes_max_segments() -> None:
    long_pl = "Zażółć gęślą jaźń, " * 8  # UCS-2: 152 code units, three parts of 67
    text = campaign_text(pl=long_pl.strip())
    campaign = parse_campaign(text, check_template=check_template)
    assert sms_warnings(text, campaign, "https://example.com") == []  # three are allowed
    text = campaign_text(pl=long_pl.strip(), max_segments="2")
    campaign = parse_campaign(text, check_template=check_template)
    [warning] = sms_warnings(text, campaign, "https://example.com")
    assert str(warning) == (
        "line 17: templates.offer.pl.text: renders to 3 SMS segments for a sample contact "
        "(151 characters, UCS2); steps[1] allows 2 (max_segments)"
    )


def test_the_sample_contact_counts_what_a_template_prints() -> None:
    # 140 GSM-7 characters plus the sample's full name: past one segment, within one.
    text = campaign_text(
        en="x" * 140 + " {{ contact.full_name | default: 'you' }}", max_segments="1"
    )
    campaign = parse_campaign(text, check_template=check_template)
    [warning] = sms_warnings(text, campaign, "https://example.com")
    assert warning.path == "templates.offer.en.text"
    assert "renders to 2 SMS segments" in warning.message
