"""Values templates print without a default: warnings by default, refusals when ``strict``,
and refusals whatever the campaign when a step or trigger can never supply them."""

from __future__ import annotations

import pytest

from goteo.content.checks import check_template, printed_values
from goteo.engine.model import Campaign
from goteo.engine.parser import parse_with_warnings
from goteo.engine.problems import CampaignInvalid, Problem

BASE = """\
key: greet
trigger: {trigger}
steps:
  - send: email
    template: hello
  - id: offer
    send: email
    template: offer
    coupon: {{percent_off: 10}}
  - notify: {{to: sales@example.com, template: lead}}
templates:
  hello:
    en:
      subject: "Hi {{{{ contact.first_name }}}}"
      html: |
        <p>Hello</p>
        <p>{hello}</p>
  offer:
    en: {{subject: "Code", html: "<p>{{{{ coupon.code }}}} {offer}</p>"}}
  lead:
    en: {{subject: "Lead", html: "<p>{lead}</p>"}}
"""


def parse(
    trigger: str = "manual", hello: str = "", offer: str = "", lead: str = "", top: str = ""
) -> tuple[Campaign, list[Problem]]:
    text = top + BASE.format(trigger=trigger, hello=hello, offer=offer, lead=lead)
    return parse_with_warnings(text, check_template, printed_values)


def refused(**parts: str) -> CampaignInvalid:
    with pytest.raises(CampaignInvalid) as info:
        parse(**parts)
    return info.value


def test_a_name_some_contacts_lack_is_a_warning_with_its_line_and_default() -> None:
    campaign, warnings = parse(hello="Plan: {{ contact.attributes.plan | upcase }}")

    assert campaign.strict is False
    assert [(w.line, w.path) for w in warnings] == [
        (14, "templates.hello.en.subject"),
        (17, "templates.hello.en.html"),
    ]
    assert warnings[0].message == (
        "contact.first_name is missing for some contacts, and it prints as nothing for them "
        '(line 1 of the template): write {{ contact.first_name | default: "…" }} '
        "or put it inside {% if contact.first_name %}"
    )
    assert "(line 2 of the template)" in warnings[1].message
    assert '{{ contact.attributes.plan | default: "…" | upcase }}' in warnings[1].message


def test_a_strict_campaign_refuses_what_would_be_a_warning() -> None:
    error = refused(top="strict: true\n")

    (problem,) = error.problems
    assert (problem.line, problem.path) == (15, "templates.hello.en.subject")
    assert "this campaign is strict, so their message would not be sent" in problem.message
    assert error.warnings == []
    strict, warnings = parse(top="strict: true\n".replace("true", "false"))
    assert strict.strict is False and len(warnings) == 1


def test_strict_must_be_true_or_false() -> None:
    (problem,) = refused(top="strict: yes please\n").problems
    assert (problem.path, problem.message) == ("strict", "'yes please' must be true or false")


def test_a_coupon_in_a_step_without_one_is_refused() -> None:
    error = refused(hello="{{ coupon.code }}", lead="{{ coupon.percent_off }}")

    found = {(p.path, p.message) for p in error.problems}
    assert found == {
        (
            "templates.hello.en.html",
            "coupon.code is printed (line 2 of the template), but step 'step-1' has no coupon: "
            "add one to the step, like coupon: {percent_off: 10}, or print it inside "
            "{% if coupon %}",
        ),
        (
            "templates.lead.en.html",
            "coupon.percent_off is printed (line 1 of the template), but step 'step-3' is a "
            "notification, which has no coupon",
        ),
    }
    assert [p.line for p in error.problems] == [17, 21]  # the lines of the prints
    assert [w.path for w in error.warnings] == ["templates.hello.en.subject"]
    # Guarded, the same template serves steps with and without a coupon.
    parse(hello="{% if coupon %}{{ coupon.code }}{% endif %}")


def test_the_event_is_refused_unless_the_trigger_is_an_event() -> None:
    for trigger in ("manual", "{subscribed: news}", "{segment: {score: {gte: 5}}}"):
        error = refused(trigger=trigger, offer="{{ event.properties.sku }}")
        (problem,) = error.problems
        assert problem.path == "templates.offer.en.html"
        assert problem.message.startswith(
            "event.properties.sku is printed (line 1 of the template), but this campaign's "
            "trigger is not an event"
        )
    refused(trigger="manual", lead="{{ event.name }}")


def test_an_event_property_may_be_missing_from_some_events() -> None:
    _, warnings = parse(
        trigger="{event: added_to_cart}", offer="{{ event.name }} {{ event.properties.sku }}"
    )

    assert [w.message.split(" (")[0] for w in warnings] == [
        "contact.first_name is missing for some contacts, and it prints as nothing for them",
        "event.properties.sku is missing from some events, and it prints as nothing for them",
    ]
