"""The condition language in Python: parsing (every problem named by its path) and evaluating."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from goteo.engine.condition_model import (
    AllOf,
    AnyOf,
    Check,
    EventTest,
    FieldTest,
    Not,
    PropertyFilter,
    PropertyTest,
)
from goteo.engine.conditions import (
    Condition,
    EventRecord,
    Facts,
    evaluate,
    event_names,
    lookback,
    matches_where,
    parse_condition,
    parse_where,
)

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def parse(raw: Any) -> Condition:
    condition, problems = parse_condition(raw, "if")
    assert problems == [] and condition is not None, problems
    return condition


def problems(raw: Any, path: str = "steps[2].if") -> list[tuple[str, str]]:
    condition, found = parse_condition(raw, path)
    assert condition is None and found
    return found


# -- parsing -----------------------------------------------------------------------------------


def test_the_documented_forms_parse() -> None:
    assert parse({"locale": "es"}) == FieldTest("locale", (Check("equals", "es"),))
    assert parse({"score": {"gte": 50, "lt": 90}}) == FieldTest(
        "score", (Check("gte", 50), Check("lt", 90))
    )
    assert parse({"attributes.plan": {"in": ["pro", "team"]}}) == FieldTest(
        "attributes.plan", (Check("in", ("pro", "team")),)
    )
    assert parse({"tags": {"contains": "vip"}}) == FieldTest("tags", (Check("contains", "vip"),))
    assert parse({"created_at": {"before": "30d"}}) == FieldTest(
        "created_at", (Check("before", 30 * DAY),)
    )
    assert parse({"event": "purchase"}) == EventTest("purchase")
    assert parse(
        {"event": "page_view", "where": {"url": {"contains": "/pricing"}}, "within": "7d"}
    ) == EventTest(
        "page_view",
        PropertyFilter((PropertyTest("url", (Check("contains", "/pricing"),)),)),
        7 * DAY,
    )
    assert parse({"event": "added_to_cart", "count": {"gte": 2}, "within": "30d"}) == EventTest(
        "added_to_cart", None, 30 * DAY, (Check("gte", 2),)
    )
    never = EventTest("purchase", count=(Check("equals", 0),))
    assert parse({"event": "purchase", "count": 0}) == never


def test_combinators_and_several_keys_meaning_all() -> None:
    es, vip = {"locale": "es"}, {"tags": {"contains": "vip"}}
    assert parse({"all": [es, vip]}) == AllOf((parse(es), parse(vip)))
    assert parse({"any": [es]}) == AnyOf((parse(es),))
    assert parse({"not": es}) == Not(parse(es))
    assert parse({**es, **vip}) == AllOf((parse(es), parse(vip)))
    both = parse({"event": "purchase", "locale": "es"})
    assert both == AllOf((EventTest("purchase"), parse(es)))


def test_every_problem_is_reported_at_once_with_its_path() -> None:
    raw = {
        "any": [
            {"score": "x"},
            {"locale": {"gtee": 1}},
            {"event": "", "within": "2 dayz", "where": {"url-x": 1}, "count": {"most": 1}},
        ],
        "lcoale": "es",
        "attributes.a.b": 1,
    }
    found = dict(problems(raw))
    assert set(found) == {
        "steps[2].if.any[0].score",
        "steps[2].if.any[1].locale.gtee",
        "steps[2].if.any[2].event",
        "steps[2].if.any[2].within",
        "steps[2].if.any[2].where.url-x",
        "steps[2].if.any[2].count.most",
        "steps[2].if.lcoale",
        "steps[2].if.attributes.a.b",
    }
    assert found["steps[2].if.any[0].score"] == "'x' is not a number"
    assert found["steps[2].if.any[1].locale.gtee"].startswith(
        "unknown operator 'gtee' (for locale: equals,"
    )
    assert found["steps[2].if.any[2].within"].startswith("'2 dayz' is not a duration")
    assert found["steps[2].if.lcoale"].startswith("unknown field 'lcoale' (fields: email,")
    assert "not an attribute name" in found["steps[2].if.attributes.a.b"]


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        ("es", "if", "'es' is not a condition"),
        ({}, "if", "an empty condition"),
        ({"all": []}, "if.all", "'all' takes a non-empty list of conditions"),
        ({"any": {"locale": "es"}}, "if.any", "'any' takes a non-empty list"),
        ({"not": ["x"]}, "if.not", "['x'] is not a condition"),
        ({"where": {"url": "/"}}, "if.where", "'where' goes with an event test"),
        ({"within": "7d", "locale": "es"}, "if.within", "'within' goes with an event test"),
        ({"tags": "vip"}, "if.tags", "tags is a list: use {contains: 'vip'}"),
        ({"created_at": "30d"}, "if.created_at", "created_at is a moment: use {before: 30d}"),
        ({"locale": None}, "if.locale", "null is not a value to compare with"),
        ({"locale": ["es", "fr"]}, "if.locale", "a list is not a value: use {in: ['es', 'fr']}"),
        ({"locale": {}}, "if.locale", "must hold at least one operator"),
        ({"locale": ""}, "if.locale", "'' is empty text, which counts as missing"),
        ({"locale": False}, "if.locale", "False is not text (put it in quotes"),
        ({"locale": {"gt": 1}}, "if.locale.gt", "'gt' does not apply to locale"),
        (
            {"attributes.plan": {"exist": True}},
            "if.attributes.plan.exist",
            "unknown operator 'exist' (did you mean exists? for attributes.plan: equals,",
        ),
        ({"score": {"above": 1}}, "if.score.above", "unknown operator 'above' (for score: equals"),
        ({"score": {"contains": 1}}, "if.score.contains", "'contains' does not apply to score"),
        ({"score": True}, "if.score", "True is not a number"),
        ({"score": {"lt": float("inf")}}, "if.score.lt", "inf is not a number"),
        ({"score": {"in": [1, "2"]}}, "if.score.in", "'2' is not a number"),
        ({"score": {"in": []}}, "if.score.in", "[] must be a non-empty list of values"),
        ({"tags": {"equals": "vip"}}, "if.tags.equals", "'equals' does not apply to tags"),
        ({"created_at": {"after": "soon"}}, "if.created_at.after", "'soon' is not a duration"),
        ({"attributes.plan": {"exists": "yes"}}, "if.attributes.plan.exists", "must be true or"),
        ({"attributes.plan": {"equals": [1]}}, "if.attributes.plan.equals", "[1] is not a value"),
        ({"attributes.plan": {"starts_with": 1}}, "if.attributes.plan.starts_with", "not text"),
        ({"attributes.plan": {"gte": "1"}}, "if.attributes.plan.gte", "'1' is not a number"),
        ({"attributes.plan": {"before": "1d"}}, "if.attributes.plan.before", "does not apply"),
        ({"attributes.": 1}, "if.attributes.", "'' is not an attribute name"),
        ({"attributes": {"plan": "pro"}}, "if.attributes", "unknown field 'attributes'"),
        ({"event": 5}, "if.event", "5 must be an event name"),
        ({"event": "x" * 65}, "if.event", "must be an event name"),
        ({"event": "x", "count": -1}, "if.count", "-1 is not a count"),
        ({"event": "x", "count": {"gte": 1.5}}, "if.count.gte", "1.5 is not a count"),
        ({"event": "x", "count": {"in": [1]}}, "if.count.in", "unknown count operator"),
        ({"event": "x", "count": {}}, "if.count", "must hold at least one operator"),
        ({"event": "x", "where": {}}, "if.where", "must be a mapping of property name"),
        ({"event": "x", "where": {"a.b": 1}}, "if.where.a.b", "'a.b' is not a property name"),
    ],
)
def test_problems_are_named_and_explained(raw: Any, path: str, message: str) -> None:
    found = problems(raw, "if")
    assert len(found) == 1, found
    assert found[0][0] == path
    assert message in found[0][1], found[0][1]


def test_parse_where_reports_each_property() -> None:
    where, found = parse_where({"url": {"contains": ""}, "total": {"gt": "5"}}, "wait_for.where")
    assert where is None
    assert [p for p, _ in found] == ["wait_for.where.url.contains", "wait_for.where.total.gt"]
    where, found = parse_where({"url": {"starts_with": "/p"}, "total": 5}, "w")
    assert found == [] and where is not None
    assert matches_where(where, {"url": "/pricing", "total": 5.0})
    assert not matches_where(where, {"url": "/Pricing", "total": 5})
    assert not matches_where(where, {"url": "/pricing"})


# -- evaluating fields ---------------------------------------------------------------------------


def contact(**fields: Any) -> Facts:
    base: dict[str, Any] = {
        "email": "ana@example.com",
        "first_name": "Ana",
        "last_name": "",
        "locale": "es",
        "timezone": "Europe/Madrid",
        "status": "active",
        "owner": "",
        "score": 40.0,
        "tags": ["vip"],
        "created_at": NOW - 10 * DAY,
        "attributes": {},
    }
    return Facts({**base, **fields})


def holds(raw: Any, facts: Facts) -> bool:
    return evaluate(parse(raw), facts, NOW)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"first_name": "Ana"}, True),
        ({"first_name": "ana"}, False),
        ({"first_name": {"not_equals": "ana"}}, True),
        ({"first_name": {"in": ["Eva", "Ana"]}}, True),
        ({"first_name": {"not_in": ["Eva", "Ana"]}}, False),
        ({"email": {"ends_with": "@example.com"}}, True),
        ({"email": {"ends_with": "@EXAMPLE.com"}}, False),
        ({"email": {"starts_with": "ana@"}}, True),
        ({"email": {"contains": "@exa"}}, True),
        ({"email": {"contains": "_"}}, False),
        ({"last_name": {"exists": False}}, True),
        ({"last_name": {"not_equals": "x"}}, False),  # missing: every operator but exists false
        ({"last_name": {"not_in": ["x"]}}, False),
        ({"not": {"last_name": "x"}}, True),
        ({"score": 40}, True),
        ({"score": {"gt": 39.5, "lte": 40}}, True),
        ({"score": {"lt": 40}}, False),
        ({"score": {"in": [1, 40]}}, True),
        ({"score": {"exists": False}}, False),
        ({"tags": {"contains": "vip"}}, True),
        ({"tags": {"contains": "VIP"}}, False),
        ({"tags": {"exists": True}}, True),
        ({"created_at": {"before": "10d"}}, False),  # exactly 10 days ago is not before it
        ({"created_at": {"after": "10d"}}, True),  # ... it is at or after it
        ({"created_at": {"before": "9d"}}, True),
        ({"created_at": {"exists": True}}, True),
    ],
)
def test_fields(raw: Any, expected: bool) -> None:
    assert holds(raw, contact()) is expected


@pytest.mark.parametrize(
    ("value", "raw", "expected"),
    [
        ("10", {"equals": 10}, False),
        ("10", {"gt": 5}, False),  # text is never compared as a number
        (10, {"equals": 10.0}, True),
        (10, {"equals": "10"}, False),
        (2.5, {"gte": 2.5, "lt": 3}, True),
        (True, {"equals": 1}, False),  # booleans are not numbers
        (True, {"gt": 0}, False),
        (1, {"equals": True}, False),
        (True, {"equals": True}, True),
        (False, {"in": [False, 0]}, True),
        (0, {"in": [False]}, False),
        (0, {"exists": True}, True),
        (False, {"exists": True}, True),
        (None, {"exists": False}, True),
        (None, {"not_equals": "x"}, False),
        ("", {"exists": False}, True),
        ("", {"not_in": ["x"]}, False),
        ([], {"exists": False}, True),
        ({}, {"exists": False}, True),
        ({"a": 1}, {"exists": True}, True),
        ({"a": 1}, {"contains": "a"}, False),  # objects hold no members
        ({"a": 1}, {"not_equals": "a"}, True),
        (["pro", 5, True], {"contains": "pro"}, True),
        (["pro", 5, True], {"contains": "pr"}, False),  # membership, not a substring
        (["pro", 5, True], {"contains": 5.0}, True),
        (["pro", 5, True], {"contains": 1}, False),
        (["pro", 5, True], {"contains": True}, True),
        (["pro"], {"equals": "pro"}, False),
        ("ñandú", {"contains": "andú"}, True),
        ("ñandú", {"contains": "ANDÚ"}, False),
        ("ñandú", {"contains": 5}, False),
        ("straße", {"ends_with": "ße"}, True),
        ("İstanbul", {"starts_with": "i"}, False),
        ("a%b", {"contains": "%"}, True),
        ("a%b", {"starts_with": "a%"}, True),
        ("5", {"starts_with": "5"}, True),
    ],
)
def test_json_attribute_values(value: Any, raw: dict[str, Any], expected: bool) -> None:
    facts = contact(attributes={"x": value})
    assert holds({"attributes.x": raw}, facts) is expected


def test_an_absent_attribute_is_missing() -> None:
    assert holds({"attributes.plan": {"exists": False}}, contact(attributes={}))
    assert not holds({"attributes.plan": {"not_equals": "pro"}}, contact(attributes={}))
    assert not holds({"attributes.plan": {"not_equals": "pro"}}, contact(attributes=None))


def test_combinators() -> None:
    facts = contact()
    assert holds({"all": [{"locale": "es"}, {"score": {"gt": 1}}]}, facts)
    assert not holds({"all": [{"locale": "es"}, {"score": {"gt": 100}}]}, facts)
    assert holds({"any": [{"locale": "fr"}, {"score": {"gt": 1}}]}, facts)
    assert not holds({"any": [{"locale": "fr"}]}, facts)
    assert holds({"not": {"locale": "fr"}}, facts)
    assert not holds({"locale": "es", "first_name": "Eva"}, facts)


# -- evaluating events ---------------------------------------------------------------------------


def history(*events: tuple[str, timedelta, dict[str, Any]]) -> Facts:
    return Facts(
        contact().fields, [EventRecord(name, props, NOW - ago) for name, ago, props in events]
    )


def test_event_history_windows_are_inclusive_and_never_in_the_future() -> None:
    facts = history(
        ("purchase", 7 * DAY, {}),  # exactly at the edge of 7d
        ("page_view", -timedelta(seconds=1), {}),  # a second in the future
        ("page_view", timedelta(0), {}),  # exactly now
    )
    assert holds({"event": "purchase", "within": "7d"}, facts)
    assert not holds({"event": "purchase", "within": "6d"}, facts)
    assert holds({"event": "purchase"}, facts)
    assert not holds({"event": "Purchase"}, facts)  # names are exact
    assert holds({"event": "page_view", "count": 1}, facts)


def test_event_where_and_count() -> None:
    facts = history(
        ("added_to_cart", DAY, {"sku": "A", "total": 30}),
        ("added_to_cart", 3 * DAY, {"sku": "B", "total": "30"}),
        ("added_to_cart", 40 * DAY, {"sku": "A", "total": 90}),
        ("page_view", DAY, {"url": "/pricing/teams"}),
    )
    cart = {"event": "added_to_cart"}
    assert holds({**cart, "count": 3}, facts)
    assert holds({**cart, "within": "30d", "count": {"gte": 2, "lt": 3}}, facts)
    assert holds({**cart, "where": {"sku": "A"}, "count": 2}, facts)
    assert holds({**cart, "where": {"total": {"gte": 30}}, "count": 2}, facts)  # "30" is text
    assert holds({**cart, "where": {"sku": "C"}, "count": 0}, facts)
    assert not holds({**cart, "where": {"sku": "C"}}, facts)
    assert holds({**cart, "count": {"not_equals": 2}}, facts)
    pricing = {"event": "page_view", "where": {"url": {"contains": "/pricing"}}, "within": "7d"}
    assert holds(pricing, facts)
    assert not holds({**pricing, "where": {"url": {"contains": "/Pricing"}}}, facts)


def test_event_names_and_lookback() -> None:
    assert event_names(parse({"locale": "es"})) == frozenset()
    assert lookback(parse({"locale": "es"})) == timedelta(0)
    both = parse(
        {
            "any": [
                {"event": "purchase", "within": "7d"},
                {"not": {"event": "page_view", "within": "30d"}},
            ]
        }
    )
    assert event_names(both) == {"purchase", "page_view"}
    assert lookback(both) == 30 * DAY
    ever = parse({"all": [{"event": "purchase", "within": "7d"}, {"event": "opened"}]})
    assert lookback(ever) is None
