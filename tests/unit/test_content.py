"""Templates: static checks when a campaign is applied, rendering for each contact."""

from __future__ import annotations

from typing import Any

import pytest

from goteo.content.checks import check_template, printed_values
from goteo.content.context import contact_context, render_context
from goteo.content.liquid_env import environment_for
from goteo.content.render import Renderer, RenderError
from goteo.engine.parser import parse_campaign
from goteo.engine.printed import Printed

CAMPAIGN = """
key: welcome
name: Welcome series
default_locale: en
steps:
  - send: email
    template: welcome
templates:
  welcome:
    en:
      subject: "Welcome,
        {{ contact.first_name | default: 'friend' }}"
      preheader: "Your {{ campaign.name }} starts here"
      html: >-
        <html><head><style>p.lead { color: #cc0000 }</style></head>
        <body><p class="lead">Hi {{ contact.first_name | default: 'friend' }}</p>
        <p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>
    es:
      subject: "Hola {{ contact.first_name | default: 'friend' }}"
      html: "<p>Hola {{ contact.full_name | default: 'friend' }}</p>"
      text: "Hola {{ contact.full_name | default: 'tú' }}, plan: {{ contact.attributes.plan }}"
  plan:
    en:
      subject: "Your plan"
      html: "<p>{{ contact.attributes.plan }}</p>"
  es-bare:
    en: {subject: "Hola {{ contact.first_name }}", html: "<p>{{ contact.full_name }}</p>"}
"""


def context(**attributes: Any) -> dict[str, Any]:
    contact = contact_context("ana@example.com", "Ana", "Pérez", "es", "Europe/Madrid", attributes)
    return render_context(
        contact,
        campaign_key="welcome",
        campaign_name="Welcome series",
        message_id="<1.welcome@goteo.example>",
        unsubscribe_url="https://goteo.example/u/abc?x=1&y=2",
        base_url="https://goteo.example",
    )


@pytest.fixture(scope="module")
def campaign() -> Any:
    return parse_campaign(CAMPAIGN, check_template=check_template)


# -- checks -----------------------------------------------------------------------------


def test_good_template_has_no_problems() -> None:
    source = (
        "{% for item in contact.attributes.cart %}{{ item.name }} {{ forloop.index }}{% endfor %}"
        "{% assign greeting = contact.first_name | default: 'there' %}{{ greeting }}"
        "{% capture line %}{{ campaign.key }}{% endcapture %}{{ line }}"
        "{{ contact.attributes.plan | default: 'free' }} {{ message.id }} {{ base_url }}"
    )
    assert check_template("html", source) == []


def test_syntax_error_is_reported_with_its_line() -> None:
    (problem,) = check_template("html", "<p>Hi</p>\n<p>{{ contact.first_name }</p>")
    assert problem.endswith("(line 2 of the template)")
    assert "expected '}}'" in problem


def test_unclosed_tag_is_reported() -> None:
    (problem,) = check_template("subject", "{% if contact.first_name %}Hi")
    assert "endif" in problem


def test_unknown_variables_are_named() -> None:
    problems = check_template("html", "Hi {{ contact.frist_name }}\n{{ voucher.code }}")
    assert problems[0].startswith("unknown variable contact.frist_name")
    assert "did you mean contact.first_name?" in problems[0]
    assert problems[1] == "unknown variable voucher.code (line 2 of the template)"


def test_loading_other_templates_is_refused() -> None:
    (problem,) = check_template("html", "{% include 'footer' %}")
    assert "include" in problem


def test_unknown_filter_is_reported() -> None:
    assert check_template("subject", "{{ contact.email | shout }}") == ["unknown filter 'shout'"]


def test_parser_refuses_a_campaign_with_a_bad_template() -> None:
    bad = CAMPAIGN.replace(
        "Hola {{ contact.full_name | default: 'friend' }}</p>", "Hola {{ contact.ful_name }}</p>"
    )
    with pytest.raises(Exception, match=r"templates\.welcome\.es\.html.*contact\.ful_name"):
        parse_campaign(bad, check_template=check_template)


# -- rendering --------------------------------------------------------------------------


def test_render_inlines_css_and_builds_the_text_part(campaign: Any) -> None:
    out = Renderer().render(campaign, "welcome", "en", context())
    assert out.subject == "Welcome, Ana"
    assert 'style="color: #cc0000;"' in out.html
    assert "<style>" not in out.html
    assert "Hi Ana" in out.text
    assert "Unsubscribe (https://goteo.example/u/abc?x=1&y=2)" in out.text
    assert 'href="https://goteo.example/u/abc?x=1&amp;y=2"' in out.html


def test_preheader_is_hidden_at_the_start_of_the_body(campaign: Any) -> None:
    out = Renderer().render(campaign, "welcome", "en", context())
    body = out.html.split("<body>", 1)[1]
    assert body.startswith('<span style="display:none')
    assert "Your Welcome series starts here" in body
    assert "starts here" not in out.text


def test_missing_locale_falls_back_to_the_default(campaign: Any) -> None:
    out = Renderer().render(campaign, "welcome", "fr", context())
    assert out.subject == "Welcome, Ana"


def test_own_text_variant_is_used(campaign: Any) -> None:
    out = Renderer().render(campaign, "welcome", "es", context(plan="pro"))
    assert out.subject == "Hola Ana"
    assert out.text == "Hola Ana Pérez, plan: pro"


def test_a_missing_value_prints_as_nothing(campaign: Any) -> None:
    out = Renderer().render(campaign, "plan", "en", context())
    assert out.html == "<html><head></head><body><p></p></body></html>"
    bare = context() | {"contact": {"email": "a@example.com", "attributes": {}}}
    assert Renderer().render(campaign, "es-bare", "en", bare).subject == "Hola"


def test_a_strict_campaign_raises_on_a_missing_value() -> None:
    strict = parse_campaign("strict: true\n" + CAMPAIGN.lstrip())
    with pytest.raises(RenderError, match=r"contact\.attributes\.plan is undefined"):
        Renderer().render(strict, "plan", "en", context())
    assert Renderer().render(strict, "plan", "en", context(plan="pro")).text == "pro\n"


def test_default_covers_a_missing_value(campaign: Any) -> None:
    out = Renderer().render(campaign, "welcome", "en", context() | {"contact": {"attributes": {}}})
    assert out.subject == "Welcome, friend"
    assert "Hi friend" in out.html


def test_values_are_escaped_in_html_only(campaign: Any) -> None:
    ctx = context(plan="<i>pro</i>")
    ctx["contact"]["full_name"] = "Ana <b>&</b>"
    ctx["contact"]["first_name"] = "Ana <b>"
    out = Renderer().render(campaign, "welcome", "es", ctx)
    assert "Hola Ana &lt;b&gt;&amp;&lt;/b&gt;" in out.html
    assert out.subject == "Hola Ana <b>"
    assert out.text == "Hola Ana <b>&</b>, plan: <i>pro</i>"


def test_unknown_template_raises(campaign: Any) -> None:
    with pytest.raises(RenderError, match="no template 'nope'"):
        Renderer().render(campaign, "nope", "en", context())


def test_templates_are_compiled_once_per_campaign(campaign: Any) -> None:
    renderer = Renderer()
    renderer.render(campaign, "welcome", "en", context())
    compiled = renderer._compiled(campaign, "welcome", "en")
    renderer.render(campaign, "welcome", "en", context())
    assert renderer._compiled(campaign, "welcome", "en") is compiled


def test_contact_context_builds_full_name() -> None:
    contact = contact_context("a@example.com", " Ana ", "", "es", "UTC", {"plan": "pro"})
    assert contact["full_name"] == "Ana"
    assert contact["attributes"] == {"plan": "pro"}


def test_values_some_contacts_lack_are_found_with_their_line() -> None:
    source = (
        "<p>Hi {{ contact.first_name }},</p>\n"
        "<p>{{ contact.attributes.plan | upcase }} {{ contact.first_name }}</p>\n"
        "{{ coupon.code }} {{ event.properties.sku }} {{ event.name }} {{ contact.email }}"
    )
    assert check_template("html", source) == []  # not wrong: judged with the campaign
    assert printed_values(source) == [
        Printed("contact.first_name", 1, "contact.first_name"),
        Printed("contact.attributes.plan", 2, "contact.attributes.plan | upcase"),
        Printed("coupon.code", 3, "coupon.code"),
        Printed("event.properties.sku", 3, "event.properties.sku"),
        Printed("event.name", 3, "event.name"),
    ]
    assert printed_values(source)[1].with_default() == (
        '{{ contact.attributes.plan | default: "…" | upcase }}'
    )


@pytest.mark.parametrize(
    "source",
    [
        "{% if contact.first_name %}{{ contact.first_name }}{% endif %}",
        "{% unless contact.attributes.plan %}-{% else %}{{ contact.attributes.plan }}"
        "{% endunless %}",
        "{% if coupon %}{{ coupon.code }}{% endif %}",
        "{% if x %}{% elsif event %}{{ event.properties.sku }}{% endif %}",
        "Hi {{ contact.full_name | default: 'there' }}",
        "{{ contact.attributes | json }} {{ contact.email }} {{ contact.first_names }}",
    ],
)
def test_a_default_or_a_guard_covers_a_missing_value(source: str) -> None:
    assert printed_values(source) == []


def test_an_empty_name_is_undefined_when_rendering() -> None:
    contact = contact_context("a@example.com", "", "  ", "es", "", {})
    assert "first_name" not in contact and "full_name" not in contact
    template = environment_for("text").from_string(
        "{% if contact.first_name %}Hi {{ contact.first_name }}{% else %}Hi there{% endif %}"
    )
    assert template.render(contact=contact) == "Hi there"
