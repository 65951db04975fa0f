"""Lead scoring's pure part: the rules document, decay, crossings, daily caps, owner choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from goteo.engine.conditions import EventRecord, Facts
from goteo.engine.scoring import (
    Crossing,
    Rule,
    ScoringRules,
    choose_owner,
    crossing,
    day_start,
    decayed,
    still_hot,
    within_daily_caps,
)
from goteo.engine.scoring_parser import ScoringInvalid, parse_scoring, rules_of_source

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

EXAMPLE = """\
half_life: 30d            # decay: a point is worth half after 30 days
threshold: 50             # crossing it makes the lead hot
rules:
  - {event: page_view, where: {url: {contains: /pricing}}, points: 5, max_per_day: 3}
  - {event: purchase, points: 20}
  - {event: clicked, points: 2}
  - {event: unsubscribed, points: -30}
owners:                   # who gets a hot lead: round robin, or by a condition
  - {email: ana@example.com, when: {locale: es}}
  - {email: Bob@Example.com}
notify: true              # email the owner with the contact's history
webhook: https://crm.example/hooks/goteo   # optional CRM call
"""


def refused(source: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ScoringInvalid) as info:
        parse_scoring(source)
    return [(p.line, p.path, p.message) for p in info.value.problems]


def test_the_documented_example_parses_into_its_model() -> None:
    rules = parse_scoring(EXAMPLE)
    assert rules.half_life == timedelta(days=30)
    assert rules.threshold == 50.0
    assert [(r.id, r.event, r.points, r.max_per_day) for r in rules.rules] == [
        ("page_view", "page_view", 5.0, 3),
        ("purchase", "purchase", 20.0, None),
        ("clicked", "clicked", 2.0, None),
        ("unsubscribed", "unsubscribed", -30.0, None),
    ]
    assert [o.email for o in rules.owners] == ["ana@example.com", "bob@example.com"]
    assert rules.owners[0].when is not None and rules.owners[1].when is None
    assert rules.notify is True and rules.webhook == "https://crm.example/hooks/goteo"


def test_rules_match_by_event_name_and_where() -> None:
    rules = parse_scoring(EXAMPLE)
    assert [r.id for r in rules.rules_for("page_view", {"url": "/pricing/team"})] == ["page_view"]
    assert rules.rules_for("page_view", {"url": "/blog"}) == []
    assert rules.rules_for("page_view", {}) == []
    assert [r.id for r in rules.rules_for("purchase", {"anything": 1})] == ["purchase"]
    assert rules.rules_for("Purchase", {}) == []


def test_every_problem_is_named_by_path_and_line_at_once() -> None:
    source = """\
half_life: 30 days
threshold: -5
rules:
  - {event: page_view, points: zero}
  - {event: "bad name!", points: 1, max_per_day: 0}
  - {points: 3, colour: red}
  - {event: purchase, points: 10, where: {url: {shout: x}}}
owners:
  - {email: not-an-address}
  - {email: b@example.com, when: {score: {gte: lots}}}
notify: yes please
webhook: ftp://crm.example
extra: 1
"""
    problems = refused(source)
    paths = [(line, path) for line, path, _ in problems]
    assert paths == [
        (1, "half_life"),
        (2, "threshold"),
        (4, "rules[0].points"),
        (5, "rules[1].event"),
        (5, "rules[1].max_per_day"),
        (6, "rules[2]"),
        (6, "rules[2].colour"),
        (7, "rules[3].where.url.shout"),
        (9, "owners[0].email"),
        (10, "owners[1].when.score.gte"),
        (11, "notify"),
        (12, "webhook"),
        (13, "extra"),
    ], problems
    messages = {path: message for _, path, message in problems}
    assert "is not a duration" in messages["half_life"]
    assert "positive number" in messages["threshold"]
    assert "a rule needs an event" in messages["rules[2]"]


def test_rule_ids_default_to_the_event_and_must_be_unique() -> None:
    rules = parse_scoring(
        "rules:\n"
        "  - {event: page_view, where: {url: {contains: /pricing}}, points: 5}\n"
        "  - {event: page_view, points: 1}\n"
        "  - {id: demo, event: page_view, where: {url: {contains: /demo}}, points: 8}\n"
    )
    assert [r.id for r in rules.rules] == ["page_view", "page_view-2", "demo"]
    assert rules.rules[0].reason == "rule:page_view"
    problems = refused(
        "rules:\n  - {id: a, event: x, points: 1}\n  - {id: a, event: y, points: 1}\n"
    )
    assert problems == [(3, "rules[1].id", "rule id 'a' is used twice")]


def test_handing_over_needs_a_threshold_and_notifying_needs_owners() -> None:
    assert refused("owners: [{email: a@example.com}]\n") == [
        (1, "threshold", "is required to hand leads over (owners, notify, webhook)")
    ]
    assert [p[1] for p in refused("threshold: 10\nnotify: true\n")] == ["notify"]
    assert parse_scoring("threshold: 10\nwebhook: https://crm.example/x\n").notify is False
    assert parse_scoring("{}").rules == ()


def test_json_documents_and_syntax_errors() -> None:
    rules = parse_scoring('{"threshold": 10, "rules": [{"event": "signup", "points": 10}]}')
    assert rules.rules[0].points == 10.0
    ((line, path, message),) = refused("rules: [\n")
    assert line is not None and path == "" and message.startswith("not valid YAML")
    assert refused("- a\n- b\n")[0][2].startswith("scoring rules must be a mapping")


def test_stored_sources_are_parsed_once_per_checksum() -> None:
    first = rules_of_source(EXAMPLE)
    assert rules_of_source(EXAMPLE) is first
    assert rules_of_source(EXAMPLE + "\n# changed\n") is not first


def test_a_score_halves_every_half_life() -> None:
    half = timedelta(days=30)
    assert decayed(80, NOW, NOW + half, half) == pytest.approx(40)
    assert decayed(80, NOW, NOW + 2 * half, half) == pytest.approx(20)
    assert decayed(80, NOW, NOW + timedelta(days=15), half) == pytest.approx(80 / 2**0.5)
    assert decayed(-40, NOW, NOW + half, half) == pytest.approx(-20)
    assert decayed(80, NOW, NOW + half, None) == 80
    assert decayed(80, None, NOW, half) == 80
    assert decayed(80, NOW, NOW - half, half) == 80  # a clock that went back decays nothing


def test_crossings_up_and_down() -> None:
    assert crossing(50, False, 50) is Crossing.HOT
    assert crossing(49.99, False, 50) is None
    assert crossing(70, True, 50) is None
    assert crossing(49.99, True, 50) is Crossing.COLD
    assert crossing(1000, False, None) is None
    assert crossing(0, True, None) is None
    rules = ScoringRules(half_life=timedelta(days=30), threshold=50)
    assert still_hot(100, NOW, NOW + timedelta(days=29), rules)
    assert not still_hot(100, NOW, NOW + timedelta(days=31), rules)


def test_daily_caps_count_earlier_scorings_and_the_batch_itself() -> None:
    capped = Rule("view", "page_view", 5, max_per_day=3)
    free = Rule("buy", "purchase", 20)
    assert within_daily_caps([capped] * 5, {}) == [True, True, True, False, False]
    assert within_daily_caps([capped, free, capped, free], {"rule:view": 2}) == [
        True,
        True,
        False,
        True,
    ]
    assert within_daily_caps([free] * 4, {"rule:buy": 99}) == [True] * 4


def test_the_day_is_the_utc_day() -> None:
    madrid_evening = datetime(2026, 3, 10, 23, 30, tzinfo=timezone(timedelta(hours=1)))
    assert day_start(madrid_evening) == datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
    late = datetime(2026, 3, 10, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert day_start(late) == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)


def _facts(locale: str, events: tuple[EventRecord, ...] = ()) -> Facts:
    fields = {
        "email": "lead@example.com",
        "locale": locale,
        "score": 60.0,
        "tags": [],
        "attributes": {},
        "created_at": NOW,
    }
    return Facts(fields=fields, events=events)


def test_owners_by_condition_first_then_round_robin() -> None:
    rules = parse_scoring(
        "threshold: 10\nowners:\n"
        "  - {email: ana@example.com, when: {locale: es}}\n"
        "  - {email: bob@example.com}\n"
        "  - {email: eve@example.com, when: {event: purchase, within: 7d}}\n"
        "  - {email: carl@example.com}\n"
    )
    owners = rules.owners
    assert choose_owner(owners, _facts("es"), NOW, 0) == ("ana@example.com", False)
    bought = (EventRecord("purchase", {}, NOW - timedelta(days=1)),)
    assert choose_owner(owners, _facts("fr", bought), NOW, 5) == ("eve@example.com", False)
    old = (EventRecord("purchase", {}, NOW - timedelta(days=8)),)
    picks = [choose_owner(owners, _facts("fr", old), NOW, turn)[0] for turn in range(5)]
    assert picks == [
        "bob@example.com",
        "carl@example.com",
        "bob@example.com",
        "carl@example.com",
        "bob@example.com",
    ]
    only_conditional = parse_scoring(
        "threshold: 10\nowners: [{email: ana@example.com, when: {locale: es}}]\n"
    ).owners
    assert choose_owner(only_conditional, _facts("fr"), NOW, 3) == (None, False)
