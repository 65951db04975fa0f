"""The campaign format: a good document becomes a Campaign, a bad one is refused whole with
every problem named by its path and line."""

from __future__ import annotations

import json
import textwrap
from datetime import time, timedelta

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from goteo.engine.durations import DurationError, format_duration, parse_duration
from goteo.engine.model import (
    Campaign,
    ExitStep,
    Reentry,
    SendStep,
    TemplateVariant,
    Trigger,
    WaitStep,
)
from goteo.engine.parser import parse_campaign
from goteo.engine.problems import CampaignInvalid, Problem
from goteo.engine.window import Window

VALID = """\
key: welcome
name: Welcome series
description: Three messages for new subscribers
default_locale: en
trigger: {subscribed: newsletter}
reentry: {after: 30d}
window: {days: [mon, tue, wed, thu, fri], hours: "09:00-18:00"}
timezone: Europe/Madrid
steps:
  - send: email
    template: welcome
    next: step-3
  - id: bye
    exit: finished the series
  - wait: 1d12h
  - id: nudge
    send: email
    template: nudge
    next: bye
templates:
  welcome:
    en: {subject: "Welcome, {{ contact.first_name | default: 'friend' }}", html: "<p>Hi</p>"}
    fr_CA: {subject: "Bienvenue", html: "<p>Salut</p>", text: "Salut", preheader: "Allo"}
    ES: {subject: "Bienvenido", html: "<p>Hola</p>"}
  nudge:
    en: {subject: "Still there?", html: "<p>Psst</p>"}
"""

MINIMAL = """\
key: minimal
templates:
  hello:
    en: {subject: "Hello", html: "<p>Hello</p>"}
steps:
  - send: email
    template: hello
"""


def problems_of(text: str, **kwargs: object) -> list[Problem]:
    with pytest.raises(CampaignInvalid) as info:
        parse_campaign(text, **kwargs)  # type: ignore[arg-type]
    assert info.value.problems, "a refusal must name at least one problem"
    return info.value.problems


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based number of the ``nth`` line of ``text`` containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} occurs {len(hits)} times"
    return hits[nth - 1]


def where(problems: list[Problem]) -> set[tuple[str, int | None]]:
    return {(p.path, p.line) for p in problems}


def problem_at(problems: list[Problem], path: str) -> Problem:
    found = [p for p in problems if p.path == path]
    assert found, f"no problem at {path!r} in {problems}"
    return found[0]


def assert_later_feature(problem: Problem, name: str) -> None:
    """Refused as a feature of a later release, not as a typo."""
    assert f"'{name}'" in problem.message
    assert "unknown" not in problem.message
    assert "exactly one of" not in problem.message


def doc(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


def with_steps(steps: str, templates: str | None = None) -> str:
    """A document around the given ``steps:`` block (and optional ``templates:`` block)."""
    templates = templates or doc(
        """
        templates:
          welcome:
            en: {subject: "Hello", html: "<p>Hello</p>"}
        """
    )
    return "key: w\n" + templates + doc(steps)


# -- a good document ----------------------------------------------------------------------


def test_valid_campaign_parses_into_the_model() -> None:
    campaign = parse_campaign(VALID)

    assert campaign.key == "welcome"
    assert campaign.name == "Welcome series"
    assert campaign.default_locale == "en"
    assert campaign.trigger == Trigger("subscribed", "newsletter")
    assert campaign.reentry == Reentry("after", timedelta(days=30))
    assert campaign.window == Window(frozenset({0, 1, 2, 3, 4}), time(9), time(18))
    assert campaign.timezone == "Europe/Madrid"
    assert campaign.steps == (
        SendStep(id="step-1", channel="email", template="welcome", next="step-3"),
        ExitStep(id="bye", reason="finished the series"),
        WaitStep(id="step-3", duration=timedelta(days=1, hours=12)),
        SendStep(id="nudge", channel="email", template="nudge", next="bye"),
    )
    assert campaign.first_step_id == "step-1"


def test_template_locales_are_normalised() -> None:
    campaign = parse_campaign(VALID)

    assert campaign.locales("welcome") == ("en", "fr-ca", "es")
    assert campaign.templates["welcome"]["fr-ca"] == TemplateVariant(
        subject="Bienvenue", html="<p>Salut</p>", text="Salut", preheader="Allo"
    )
    assert campaign.locales("nudge") == ("en",)


def test_default_locale_is_normalised_too() -> None:
    text = VALID.replace("default_locale: en", "default_locale: fr_CA")
    text = text.replace('en: {subject: "Still', 'fr-CA: {subject: "Still')

    assert parse_campaign(text).default_locale == "fr-ca"


def test_steps_follow_their_next_or_the_step_below() -> None:
    campaign = parse_campaign(VALID)

    assert campaign.successor(campaign.step("step-1")) == "step-3"
    assert campaign.successor(campaign.step("step-3")) == "nudge"
    assert campaign.successor(campaign.step("nudge")) == "bye"
    assert campaign.successor(campaign.step("bye")) is None


def test_minimal_document_gets_the_defaults() -> None:
    campaign = parse_campaign(MINIMAL)

    assert campaign.name == "minimal"
    assert campaign.default_locale == "en"
    assert campaign.trigger == Trigger("manual")
    assert campaign.reentry == Reentry("never")
    assert campaign.window is None
    assert campaign.timezone == "UTC"
    assert campaign.steps == (SendStep(id="step-1", channel="email", template="hello"),)


def test_json_document_is_accepted_and_means_the_same() -> None:
    as_json = json.dumps(yaml.safe_load(VALID), indent=2, ensure_ascii=True)

    assert parse_campaign(as_json) == parse_campaign(VALID)
    assert parse_campaign(json.dumps(yaml.safe_load(VALID))) == parse_campaign(VALID)


def test_json_document_problems_carry_json_lines() -> None:
    data = yaml.safe_load(MINIMAL)
    data["steps"].append({"wait": "2 dayz"})
    text = json.dumps(data, indent=2)

    problems = problems_of(text)

    assert where(problems) == {("steps[1].wait", line_of(text, '"2 dayz"'))}


def test_window_may_span_midnight_and_run_to_24h() -> None:
    overnight = VALID.replace('hours: "09:00-18:00"', 'hours: "22:00-06:00"')
    to_midnight = VALID.replace('hours: "09:00-18:00"', 'hours: "9:00-24:00"')
    full_names = VALID.replace("[mon, tue, wed, thu, fri]", "[Saturday, SUN]")

    assert parse_campaign(overnight).window == Window(frozenset({0, 1, 2, 3, 4}), time(22), time(6))
    assert parse_campaign(to_midnight).window == Window(
        frozenset({0, 1, 2, 3, 4}), time(9), time(0)
    )
    assert parse_campaign(full_names).window == Window(frozenset({5, 6}), time(9), time(18))


def test_window_days_default_to_every_day() -> None:
    text = VALID.replace("{days: [mon, tue, wed, thu, fri], ", "{")

    assert parse_campaign(text).window == Window(frozenset(range(7)), time(9), time(18))


def test_template_checker_receives_every_field() -> None:
    seen: list[tuple[str, str]] = []

    def checker(field: str, source: str) -> list[str]:
        seen.append((field, source))
        return []

    parse_campaign(VALID, check_template=checker)

    assert ("subject", "Bienvenue") in seen
    assert ("html", "<p>Salut</p>") in seen
    assert ("text", "Salut") in seen
    assert ("preheader", "Allo") in seen


def test_valid_campaign_passes_the_real_template_check() -> None:
    checks = pytest.importorskip("goteo.content.checks")

    assert parse_campaign(VALID, check_template=checks.check_template).key == "welcome"


# -- reentry and trigger forms ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("never", Reentry("never")),
        ("always", Reentry("always")),
        ("{after: 30d}", Reentry("after", timedelta(days=30))),
        ("{after: 1w2d}", Reentry("after", timedelta(days=9))),
    ],
)
def test_reentry_forms(value: str, expected: Reentry) -> None:
    assert parse_campaign(f"reentry: {value}\n" + MINIMAL).reentry == expected


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("sometimes", "reentry"),
        ("{after: soon}", "reentry.after"),
        ("{after: 0d}", "reentry.after"),
        ("{after: 30d, before: 1d}", "reentry"),
        ("3", "reentry"),
    ],
)
def test_reentry_refusals(value: str, path: str) -> None:
    assert where(problems_of(f"reentry: {value}\n" + MINIMAL)) == {(path, 1)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("manual", Trigger("manual")),
        ("{manual: true}", Trigger("manual")),
        ("{subscribed: newsletter}", Trigger("subscribed", "newsletter")),
    ],
)
def test_trigger_forms(value: str, expected: Trigger) -> None:
    assert parse_campaign(f"trigger: {value}\n" + MINIMAL).trigger == expected


@pytest.mark.parametrize(
    ("value", "path", "message"),
    [
        ("{event: 'Added To Cart'}", "trigger.event", "must be an event name"),
        ("{subscribed: 'Not A List'}", "trigger.subscribed", "list or form key"),
        ("webhook", "trigger", "is not a trigger"),
        ("{subscribed: a, event: b}", "trigger", "is not a trigger"),
    ],
)
def test_trigger_refusals(value: str, path: str, message: str) -> None:
    problems = problems_of(f"trigger: {value}\n" + MINIMAL)

    assert where(problems) == {(path, 1)}
    assert message in problems[0].message


# -- refusals, one at a time --------------------------------------------------------------


def test_unknown_top_level_key() -> None:
    text = MINIMAL + "colour: {r: 1}\n"

    problems = problems_of(text)

    assert where(problems) == {("colour", line_of(text, "colour:"))}
    assert "unknown key" in problems[0].message


def test_top_level_keys_of_later_features_are_refused() -> None:
    text = MINIMAL + "frequency: {max: 2, per: 7d}\n"

    problems = problems_of(text)

    assert where(problems) == {("frequency", line_of(text, "frequency:"))}
    assert_later_feature(problems[0], "frequency")


@pytest.mark.parametrize(
    "step",
    ["frobnicate: 1", "branch_on: {x: 1}", "{}"],
)
def test_unknown_step_kind(step: str) -> None:
    text = with_steps(f"steps:\n  - send: email\n    template: welcome\n  - {step}\n")

    problems = problems_of(text)

    assert where(problems) == {("steps[1]", line_of(text, f"- {step}"))}
    assert "a step needs exactly one of send, wait, wait_for" in problems[0].message


def test_step_with_two_kinds() -> None:
    text = with_steps("steps:\n  - send: email\n    template: welcome\n    wait: 2d\n")

    problems = problems_of(text)

    assert where(problems) == {("steps[0]", line_of(text, "- send"))}
    assert "a step needs exactly one of send, wait, wait_for" in problems[0].message


@pytest.mark.parametrize("channel", ["direct_mail", "fax", "webhook"])
def test_an_unknown_channel_is_named_at_its_step(channel: str) -> None:
    text = with_steps(f"steps:\n  - send: {channel}\n    template: welcome\n")

    problems = problems_of(text)

    assert where(problems) == {("steps[0].send", line_of(text, "send:"))}
    expected = "its own step" if channel == "webhook" else "is not a channel (available: email"
    assert expected in problems[0].message


@pytest.mark.parametrize("duration", ['"2 dayz"', '"2 days"', "2", '""', "0d", "-1d", "1.5d"])
def test_bad_duration_is_named_at_its_step(duration: str) -> None:
    text = with_steps(
        f"""
        steps:
          - send: email
            template: welcome
          - wait: 3h
          - wait: {duration}
          - send: email
            template: welcome
        """
    )

    problems = problems_of(text)

    assert where(problems) == {("steps[2].wait", line_of(text, f"wait: {duration}"))}
    assert "duration" in problems[0].message


def test_bad_duration_message_quotes_the_text() -> None:
    text = with_steps("steps:\n  - wait: 2 dayz\n  - send: email\n    template: welcome\n")

    (problem,) = problems_of(text)

    assert str(problem) == (
        "line 6: steps[0].wait: '2 dayz' is not a duration (use forms like 30m, 4h, 2d, 1w)"
    )


def test_template_with_liquid_syntax_error() -> None:
    checks = pytest.importorskip("goteo.content.checks")
    text = doc(
        """
        key: w
        templates:
          welcome:
            en: {subject: "Hello", html: "<p>Hello</p>"}
            fr: {subject: "Salut {{ contact.first_name ", html: "<p>Salut</p>"}
            es:
              subject: "Hola"
              html: "<p>{% if contact.first_name %}Hola</p>"
        steps:
          - send: email
            template: welcome
        """
    )

    problems = problems_of(text, check_template=checks.check_template)

    assert where(problems) == {
        ("templates.welcome.fr.subject", line_of(text, "Salut {{")),
        ("templates.welcome.es.html", line_of(text, "{% if")),
    }


def test_template_with_unknown_variable() -> None:
    checks = pytest.importorskip("goteo.content.checks")
    text = with_steps(
        "steps:\n  - send: email\n    template: welcome\n",
        templates=doc(
            """
            templates:
              welcome:
                en: {subject: "Hi {{ contact.frist_name }}", html: "<p>Hello</p>"}
            """
        ),
    )

    problems = problems_of(text, check_template=checks.check_template)

    assert where(problems) == {("templates.welcome.en.subject", line_of(text, "frist_name"))}
    assert "contact.first_name" in problems[0].message


def test_missing_default_locale_variant() -> None:
    text = doc(
        """
        key: w
        default_locale: es
        templates:
          welcome: {en: {subject: "Hello", html: "<p>Hello</p>"}}
        steps:
          - send: email
            template: welcome
        """
    )

    problems = problems_of(text)

    assert where(problems) == {("templates.welcome", line_of(text, "welcome: {"))}
    assert "'es'" in problems[0].message


@pytest.mark.parametrize(
    ("variant", "path"),
    [
        ('{html: "<p>Hello</p>"}', "templates.welcome.en.subject"),
        ('{subject: "Hello", html: ""}', "templates.welcome.en.html"),
        ('{subject: "Hello", html: "x", body: "y"}', "templates.welcome.en.body"),
        ('"just text"', "templates.welcome.en"),
    ],
)
def test_bad_template_variant(variant: str, path: str) -> None:
    text = with_steps(
        "steps:\n  - send: email\n    template: welcome\n",
        templates=f"templates:\n  welcome:\n    en: {variant}\n",
    )

    assert (path, line_of(text, "en:")) in where(problems_of(text))


def test_bad_template_locale_and_name() -> None:
    text = with_steps(
        "steps:\n  - send: email\n    template: welcome\n",
        templates=doc(
            """
            templates:
              welcome:
                en: {subject: "Hello", html: "<p>Hello</p>"}
                english: {subject: "Hello", html: "<p>Hello</p>"}
              Bad Name: {en: {subject: "Hello", html: "<p>Hello</p>"}}
            """
        ),
    )

    assert {
        ("templates.welcome.english", line_of(text, "english:")),
        ("templates.Bad Name", line_of(text, "Bad Name")),
    } <= where(problems_of(text))


def test_send_referencing_undefined_template() -> None:
    text = with_steps(
        """
        steps:
          - send: email
            template: welcome
          - wait: 1d
          - send: email
            template: welcom
        """
    )

    problems = problems_of(text)

    assert where(problems) == {("steps[2].template", line_of(text, "template: welcom", 2))}
    assert "'welcom'" in problems[0].message


def test_send_without_template_and_unknown_channel() -> None:
    text = with_steps(
        """
        steps:
          - send: email
          - send: carrier_pigeon
            template: welcome
        """
    )

    assert where(problems_of(text)) == {
        ("steps[0]", line_of(text, "- send: email")),
        ("steps[1].send", line_of(text, "carrier_pigeon")),
    }


def test_unknown_key_inside_a_step() -> None:
    text = with_steps(
        """
        steps:
          - send: email
            template: welcome
            subject: Hello
          - exit: true
            next: step-1
        """
    )

    assert where(problems_of(text)) == {
        ("steps[0].subject", line_of(text, "subject: Hello")),
        ("steps[1].next", line_of(text, "next: step-1")),
    }


def test_next_to_a_nonexistent_step() -> None:
    text = with_steps(
        """
        steps:
          - send: email
            template: welcome
            next: ofer
          - id: offer
            send: email
            template: welcome
        """
    )

    problems = problems_of(text)

    assert where(problems) == {("steps[0].next", line_of(text, "next: ofer"))}
    assert "'ofer'" in problems[0].message


def test_unreachable_step_after_an_exit() -> None:
    text = with_steps(
        """
        steps:
          - send: email
            template: welcome
          - exit: true
          - id: orphan
            send: email
            template: welcome
        """
    )

    problems = problems_of(text)

    assert where(problems) == {("steps[2]", line_of(text, "- id: orphan"))}
    assert "unreachable" in problems[0].message


def test_jumping_over_an_exit_leaves_the_exit_unreachable() -> None:
    text = with_steps(
        """
        steps:
          - send: email
            template: welcome
            next: offer
          - exit: true
          - id: offer
            send: email
            template: welcome
        """
    )

    # the step after the exit is referenced; the exit itself is now the one nobody reaches
    assert where(problems_of(text)) == {("steps[1]", line_of(text, "- exit"))}


def test_loop_via_next() -> None:
    text = with_steps(
        """
        steps:
          - send: email
            template: welcome
          - id: again
            wait: 1d
          - id: remind
            send: email
            template: welcome
            next: again
        """
    )

    problems = problems_of(text)

    assert where(problems) == {("steps[1]", line_of(text, "- id: again"))}
    assert "loop (again -> remind -> again)" in problems[0].message


def test_self_loop() -> None:
    text = with_steps(
        "steps:\n  - id: forever\n    wait: 1d\n    next: forever\n",
    )

    problems = problems_of(text)

    assert where(problems) == {("steps[0]", line_of(text, "- id: forever"))}
    assert "loop" in problems[0].message


def test_duplicate_step_ids() -> None:
    text = with_steps(
        """
        steps:
          - id: hello
            send: email
            template: welcome
          - wait: 1d
          - id: hello
            send: email
            template: welcome
        """
    )

    problems = problems_of(text)

    assert where(problems) == {("steps[2].id", line_of(text, "- id: hello", 2))}
    assert "duplicate step id 'hello'" in problems[0].message


def test_explicit_id_clashing_with_an_automatic_one() -> None:
    text = with_steps(
        """
        steps:
          - id: step-2
            send: email
            template: welcome
          - wait: 1d
        """
    )

    assert where(problems_of(text)) == {("steps[1].id", line_of(text, "- wait: 1d"))}


def test_bad_step_id() -> None:
    text = with_steps("steps:\n  - id: Hello World\n    send: email\n    template: welcome\n")

    assert where(problems_of(text)) == {("steps[0].id", line_of(text, "Hello World"))}


def test_duplicate_yaml_keys() -> None:
    text = doc(
        """
        key: w
        templates:
          welcome:
            en: {subject: "Hello", html: "<p>Hello</p>"}
        steps:
          - send: email
            template: welcome
            template: other
        """
    )

    problems = problems_of(text)

    assert where(problems) == {("steps[0].template", line_of(text, "template: other"))}
    assert "duplicate key 'template'" in problems[0].message


def test_duplicate_top_level_key() -> None:
    text = MINIMAL + "key: again\n"

    assert where(problems_of(text)) == {("key", line_of(text, "key: again"))}


@pytest.mark.parametrize(
    ("text", "bad_line"),
    [
        ("key: w\nsteps:\n  - send: email\n    template: welcome\n   wait: 2d\n", 5),
        ("key: w\n\tname: x\n", 2),
        ("key: w\nsteps: [a, b\ntemplates: {}\n", 3),
        ("key: w\nname: x: y\n", 2),
    ],
)
def test_invalid_yaml_syntax_names_its_line(text: str, bad_line: int) -> None:
    (problem,) = problems_of(text)

    assert problem.line == bad_line
    assert problem.message.startswith("not valid YAML")


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        # A key indented further than its siblings reads as the value above going on.
        ("key: w\nsteps:\n  - send: email\n     template: welcome\n", "check the indentation"),
        ("key: w\nsteps:\n  - send: email\n    template: welcome\n   wait: 2d\n", "indentation"),
        ("templates:\n    a: 1\n  b: 2\n", "check the indentation"),
        ("key: w\n\tname: x\n", "indent with spaces: YAML does not allow tabs"),
        ("key: w\nname: Hi: there\n", "put quotes around text that contains ': '"),
        ("key: w\nname: {a: b}, c\n", "put quotes around text"),
    ],
)
def test_invalid_yaml_gets_the_hint_that_fits(text: str, hint: str) -> None:
    (problem,) = problems_of(text)

    assert hint in problem.message, problem.message
    other = "put quotes" if "indent" in hint else "indentation"
    assert other not in problem.message


@pytest.mark.parametrize(
    "text",
    ["key: w\nname: 'unclosed\nsteps: []\n", "key: [w\n"],
)
def test_unterminated_yaml_is_reported_where_it_opens(text: str) -> None:
    """Not at the end of the document, a line past the last one."""
    (problem,) = problems_of(text)

    assert problem.line is not None
    assert problem.line <= len(text.splitlines())


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_document(text: str) -> None:
    (problem,) = problems_of(text)

    assert (problem.path, problem.line) == ("", 1)
    assert "empty" in problem.message


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n", "[]\n"])
def test_document_that_is_not_a_mapping(text: str) -> None:
    (problem,) = problems_of(text)

    assert (problem.path, problem.line) == ("", 1)
    assert "mapping" in problem.message


def test_missing_required_parts() -> None:
    problems = problems_of("name: Nothing here\n")

    assert {p.path for p in problems} == {"key", "steps", "templates"}


def test_bad_key_and_description() -> None:
    text = "key: Welcome Series\ndescription: [1, 2]\n" + MINIMAL.replace("key: minimal\n", "")

    assert where(problems_of(text)) == {("key", 1), ("description", 2)}


@pytest.mark.parametrize(
    ("window", "paths"),
    [
        ('{days: [mon], hours: "25:00-18:00"}', {"window.hours"}),
        ('{days: [mon], hours: "09:60-18:00"}', {"window.hours"}),
        ('{days: [mon], hours: "09:00-24:30"}', {"window.hours"}),
        ('{days: [mon], hours: "09:00-09:00"}', {"window.hours"}),
        ('{days: [mon], hours: "9am-6pm"}', {"window.hours"}),
        ("{days: [mon], hours: 9}", {"window.hours"}),
        ('{days: [mon, funday], hours: "09:00-18:00"}', {"window.days[1]"}),
        ('{days: [mon, 3], hours: "09:00-18:00"}', {"window.days[1]"}),
        ('{days: [], hours: "09:00-18:00"}', {"window.days"}),
        ('{days: mon, hours: "09:00-18:00"}', {"window.days"}),
        ('{days: [mon], hours: "09:00-18:00", zone: UTC}', {"window.zone"}),
        ('"09:00-18:00"', {"window"}),
        ('{days: [someday], hours: "25:00-26:00"}', {"window.days[0]", "window.hours"}),
    ],
)
def test_bad_window(window: str, paths: set[str]) -> None:
    text = MINIMAL + f"window: {window}\n"

    problems = problems_of(text)

    assert where(problems) == {(p, line_of(text, "window:")) for p in paths}


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe/Madird", "../../etc/passwd", "'   '"])
def test_bad_timezone(zone: str) -> None:
    text = MINIMAL + f"timezone: {zone}\n"

    assert where(problems_of(text)) == {("timezone", line_of(text, "timezone:"))}


# -- refusals, all at once ----------------------------------------------------------------

EVERYTHING_WRONG = """\
key: welcome
colour: blue
default_locale: en
trigger: {event: Added-To-Cart}
reentry: {after: a while}
window: {days: [mon, funday], hours: "09:00-25:00"}
timezone: Atlantis/Capital
steps:
  - send: email
    template: welcome
  - wait: "2 dayz"
  - wait_for: {event: page_view}
  - teleport: true
  - send: email
    template: missing
  - send: email
    template: welcome
    next: step-1
templates:
  welcome:
    en: {subject: "Welcome {{ contact.first_name ", html: "<p>Hi</p>"}
  nudge: {fr: {subject: "Psst", html: "<p>Psst</p>"}}
"""


def expected_everything_wrong() -> set[tuple[str, int]]:
    t = EVERYTHING_WRONG
    return {
        ("colour", line_of(t, "colour:")),
        ("trigger.event", line_of(t, "trigger:")),
        ("reentry.after", line_of(t, "reentry:")),
        ("window.days[1]", line_of(t, "window:")),
        ("window.hours", line_of(t, "window:")),
        ("timezone", line_of(t, "timezone:")),
        ("steps[1].wait", line_of(t, "2 dayz")),
        ("steps[2].wait_for.timeout", line_of(t, "wait_for")),
        ("steps[3]", line_of(t, "teleport")),
        ("steps[4].template", line_of(t, "template: missing")),
        ("templates.nudge", line_of(t, "nudge:")),
    }


def test_every_problem_is_listed_at_once() -> None:
    problems = problems_of(EVERYTHING_WRONG)

    assert where(problems) == expected_everything_wrong()


def test_every_problem_is_listed_at_once_with_template_checks() -> None:
    checks = pytest.importorskip("goteo.content.checks")

    problems = problems_of(EVERYTHING_WRONG, check_template=checks.check_template)

    assert where(problems) == expected_everything_wrong() | {
        ("templates.welcome.en.subject", line_of(EVERYTHING_WRONG, "Welcome {{")),
    }


def test_problems_are_sorted_by_line_and_render_with_line_and_path() -> None:
    with pytest.raises(CampaignInvalid) as info:
        parse_campaign(EVERYTHING_WRONG)
    error = info.value

    lines = [p.line or 0 for p in error.problems]
    assert lines == sorted(lines)
    assert "line 11: steps[1].wait: '2 dayz' is not a duration" in str(error)
    assert len(str(error).splitlines()) == len(error.problems)


def test_several_structural_problems_at_once() -> None:
    text = with_steps(
        """
        steps:
          - id: a
            send: email
            template: welcome
            next: nowhere
          - id: a
            wait: 1d
          - id: b
            send: email
            template: nope
        """
    )

    assert where(problems_of(text)) == {
        ("steps[0].next", line_of(text, "next: nowhere")),
        ("steps[1].id", line_of(text, "- id: a", 2)),
        ("steps[2].template", line_of(text, "template: nope")),
    }


def test_nothing_is_half_applied() -> None:
    """A refused document yields no campaign at all, only the problems."""
    result: list[Campaign] = []
    with pytest.raises(CampaignInvalid):
        result.append(parse_campaign(EVERYTHING_WRONG))
    assert result == []


# -- problems are complete and point at the right line ------------------------------------


def test_structural_problems_after_a_refused_step_name_the_right_step() -> None:
    """A refused earlier step does not shift the index of the steps after it."""
    text = with_steps(
        """
        steps:
          - wait: 2 dayz
          - id: a
            send: email
            template: welcome
          - id: a
            send: email
            template: welcome
            next: nowhere
        """
    )

    assert where(problems_of(text)) == {
        ("steps[0].wait", line_of(text, "2 dayz")),
        ("steps[2].id", line_of(text, "- id: a", 2)),
        ("steps[2].next", line_of(text, "next: nowhere")),
    }


def test_problem_on_a_key_with_a_block_value_names_the_key_line() -> None:
    """Not the line below it, where the block value starts."""
    text = MINIMAL + "colour:\n  red: 1\n  green: 2\n"

    assert where(problems_of(text)) == {("colour", line_of(text, "colour:"))}


def test_missing_default_locale_on_a_block_template_names_the_template_line() -> None:
    """Not the line of its first variant."""
    text = with_steps(
        "steps:\n  - send: email\n    template: welcome\n",
        templates="templates:\n  welcome:\n    fr: {subject: Salut, html: Salut}\n",
    )

    assert where(problems_of(text)) == {("templates.welcome", line_of(text, "welcome:"))}


def test_duplicate_yaml_key_does_not_hide_other_problems() -> None:
    """A duplicate key is one problem among the others, not a reason to stop looking."""
    text = doc(
        """
        key: w
        colour: blue
        templates:
          welcome:
            en: {subject: "Hello", html: "<p>Hello</p>"}
            en: {subject: "Hello again", html: "<p>Hello</p>"}
        steps:
          - wait: 2 dayz
          - send: email
            template: welcome
        """
    )

    assert where(problems_of(text)) == {
        ("colour", line_of(text, "colour:")),
        ("templates.welcome.en", line_of(text, "en:", 2)),
        ("steps[0].wait", line_of(text, "2 dayz")),
    }


def test_unreachable_step_is_reported_with_unrelated_problems() -> None:
    """Loops and unreachable steps are judged whenever every step was understood."""
    text = "colour: blue\n" + with_steps(
        """
        steps:
          - send: email
            template: welcome
          - exit: true
          - id: orphan
            send: email
            template: welcome
        """
    )

    assert where(problems_of(text)) == {
        ("colour", 1),
        ("steps[2]", line_of(text, "- id: orphan")),
    }


# -- durations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("1d12h", timedelta(hours=36)),
        ("1d 12h", timedelta(hours=36)),
        ("90s", timedelta(seconds=90)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["2 dayz", "2", "", "0d", "d", "1.5h", "-1d", "2D", None, 3])
def test_not_durations(text: object) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10**8))
def test_format_duration_round_trips(seconds: int) -> None:
    delta = timedelta(seconds=seconds)

    assert parse_duration(format_duration(delta)) == delta


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(days=30), "30d"),
        (timedelta(weeks=4), "4w"),
        (timedelta(days=14), "2w"),
        (timedelta(days=8), "8d"),
        (timedelta(hours=36), "1d12h"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(days=10, minutes=5), "10d5m"),
        (timedelta(0), "0s"),
    ],
)
def test_durations_are_printed_as_people_write_them(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text


@st.composite
def written_durations(draw: st.DrawFn) -> str:
    """A duration as a person writes it: whole weeks, or days, hours, minutes and seconds."""
    if draw(st.booleans()):
        return f"{draw(st.integers(1, 500))}w"
    parts = [
        (draw(st.integers(0, 400)), "d"),
        (draw(st.integers(0, 23)), "h"),
        (draw(st.integers(0, 59)), "m"),
        (draw(st.integers(0, 59)), "s"),
    ]
    text = "".join(f"{n}{unit}" for n, unit in parts if n)
    only_days = all(n == 0 for n, unit in parts if unit != "d")
    if not text or (only_days and parts[0][0] % 7 == 0):
        return "30d"  # nothing written, or whole weeks (written as weeks)
    return text


@given(written_durations())
def test_a_written_duration_is_printed_back_as_written(text: str) -> None:
    assert format_duration(parse_duration(text)) == text


def test_a_misspelled_target_suggests_the_closest_step_id() -> None:
    text = MINIMAL.replace(
        "    template: hello\n",
        "    template: hello\n"
        "  - wait_for: {event: purchase, timeout: 1d}\n"
        "    then: thank-you\n"
        "    else: nudeg\n"
        "  - id: nudge\n    send: email\n    template: hello\n    next: thanks\n"
        "  - id: thanks\n    send: email\n    template: hello\n",
    )
    found = {p.path: p.message for p in problems_of(text)}

    assert found == {
        "steps[1].then": (
            "refers to step 'thank-you', which does not exist (did you mean 'thanks'?)"
        ),
        "steps[1].else": "refers to step 'nudeg', which does not exist (did you mean 'nudge'?)",
    }
    far = problems_of(text.replace("nudeg", "zzz").replace("thank-you", "thanks"))
    assert [p.message for p in far] == ["refers to step 'zzz', which does not exist"]
