"""Hypothesis strategies for conditions and for the contacts and events they are tested on.

Values are drawn from small shared pools, so that generated conditions often hit: mixed case,
non-ASCII (where lowercasing or LIKE would go wrong), LIKE wildcards, numbers written as text,
booleans, nulls, empty text, lists and objects. Moments sit on and around the boundaries of the
durations used by ``within``, ``before`` and ``after``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
WORDS = [
    "es",
    "ES",
    "Es",
    "pro",
    "Pro",
    "PRO",
    "team",
    "10",
    "5",
    "2.5",
    "true",
    "ñandú",
    "Ñandú",
    "straße",
    "STRASSE",
    "İstanbul",
    "istanbul",
    "σ",
    "Σ",
    "😀",
    "a😀b",
    "a_b",
    "a%b",
    "%",
    "_",
    "/pricing",
    "/Pricing/x",
    "x/pricing",
    "é",
    "e\u0301",
    "{}",
]
NUMBERS = [0, 1, 5, 10, 2.5, -3, 1000, 10.0]
DURATIONS = {"1h": timedelta(hours=1), "1d": timedelta(days=1), "7d": timedelta(days=7)}
DURATIONS["30d"] = timedelta(days=30)
OFFSETS = [
    timedelta(0),
    timedelta(microseconds=1),
    -timedelta(microseconds=1),  # a moment in the future
    -timedelta(hours=1),
    *[d + e for d in DURATIONS.values() for e in (timedelta(0), timedelta(microseconds=1))],
    *[d - timedelta(microseconds=1) for d in DURATIONS.values()],
    timedelta(days=400),
]
TEXT_FIELDS = ["email", "first_name", "last_name", "locale", "timezone", "status", "owner"]
ATTRIBUTE_NAMES = ["plan", "company", "n", "flag", "items"]
PROPERTY_NAMES = ["url", "total", "sku", "flag"]
EXPOSURE_CHANNELS = ["email", "mail", "sms", "social", "web"]
EVENT_NAMES = ["purchase", "page_view", "Purchase", "added_to_cart"]

words = st.sampled_from(WORDS)
numbers = st.sampled_from(NUMBERS)
scalars = st.one_of(words, numbers, st.booleans())
moments = st.sampled_from(OFFSETS).map(lambda offset: NOW - offset)
json_values: st.SearchStrategy[Any] = st.one_of(
    scalars,
    st.none(),
    st.just(""),
    st.lists(st.one_of(scalars, st.just("")), max_size=3),
    st.sampled_from([{}, {"k": "es"}, {"es": 1}]),
)


def json_objects(names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(names), json_values, max_size=len(names))


# -- conditions, as raw documents (parse_condition reads them) --------------------------------


def _operand(op: str, kind: str) -> st.SearchStrategy[Any]:
    if op == "exists":
        return st.booleans()
    if op in ("before", "after"):
        return st.sampled_from(list(DURATIONS))
    one: st.SearchStrategy[Any]
    if kind == "number" or op in ("gt", "gte", "lt", "lte"):
        one = numbers
    elif kind == "text" or op in ("starts_with", "ends_with"):
        one = words
    else:
        one = scalars
    return st.lists(one, min_size=1, max_size=3) if op in ("in", "not_in") else one


OPS = {
    "text": ["equals", "not_equals", "in", "not_in", "contains", "starts_with", "ends_with"],
    "number": ["equals", "not_equals", "in", "not_in", "gt", "gte", "lt", "lte"],
    "list": ["contains"],
    "time": ["before", "after"],
}
OPS["json"] = OPS["text"] + OPS["number"][4:]


@st.composite
def checks(draw: st.DrawFn, kind: str) -> Any:
    """A scalar (equals) or a mapping of one or two operators."""
    ops = st.sampled_from([*OPS[kind], "exists"])
    chosen = draw(st.lists(ops, min_size=1, max_size=2, unique=True))
    if chosen == ["equals"] and kind not in ("list", "time") and draw(st.booleans()):
        return draw(_operand("equals", kind))
    return {op: draw(_operand(op, kind)) for op in chosen}


def field_tests() -> st.SearchStrategy[dict[str, Any]]:
    """A test of one field; each kind of field is as likely as the others."""
    by_kind = [
        ("text", TEXT_FIELDS),
        ("number", ["score"]),
        ("list", ["tags"]),
        ("time", ["created_at"]),
        ("json", [f"attributes.{n}" for n in ATTRIBUTE_NAMES]),
    ]
    return st.one_of(
        [
            st.tuples(st.sampled_from(fields), checks(kind)).map(lambda p: {p[0]: p[1]})
            for kind, fields in by_kind
        ]
    )


def wheres() -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(PROPERTY_NAMES), checks("json"), min_size=1, max_size=2)


@st.composite
def event_tests(draw: st.DrawFn) -> dict[str, Any]:
    test: dict[str, Any] = {"event": draw(st.sampled_from(EVENT_NAMES))}
    if draw(st.booleans()):
        test["where"] = draw(wheres())
    if draw(st.booleans()):
        test["within"] = draw(st.sampled_from(list(DURATIONS)))
    if draw(st.booleans()):
        counts = st.integers(0, 3)
        ops = st.sampled_from(["equals", "not_equals", "gt", "gte", "lt", "lte"])
        test["count"] = draw(st.one_of(counts, st.dictionaries(ops, counts, min_size=1)))
    return test


@st.composite
def exposure_tests(draw: st.DrawFn) -> dict[str, Any]:
    test: dict[str, Any] = {}
    if draw(st.booleans()):
        test["within"] = draw(st.sampled_from(sorted(DURATIONS)))
    if draw(st.booleans()):
        one = st.sampled_from(EXPOSURE_CHANNELS)
        test["channel"] = draw(st.one_of(one, st.lists(one, min_size=1, max_size=3)))
    if draw(st.booleans()):
        counts = st.integers(0, 3)
        ops = st.sampled_from(["equals", "not_equals", "gt", "gte", "lt", "lte"])
        test["count"] = draw(st.one_of(counts, st.dictionaries(ops, counts, min_size=1)))
    return {"exposures": test}


LEAVES = {"field": field_tests, "event": event_tests, "exposures": exposure_tests}


def conditions() -> st.SearchStrategy[dict[str, Any]]:
    # Fair odds between a field, an event and exposures (one_of would flatten the field kinds
    # into them).
    leaves = st.sampled_from(sorted(LEAVES)).flatmap(lambda kind: LEAVES[kind]())

    def extend(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        items = st.lists(inner, min_size=1, max_size=3)
        return st.one_of(
            items.map(lambda xs: {"all": xs}),
            items.map(lambda xs: {"any": xs}),
            inner.map(lambda x: {"not": x}),
            st.tuples(field_tests(), inner).map(_merge),
        )

    return st.recursive(leaves, extend, max_leaves=6)


def _merge(pair: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    """Several keys in one mapping: all of them (when the keys do not collide)."""
    first, second = pair
    return {**second, **first} if not set(first) & set(second) else {"all": [first, second]}


# -- contacts and events -----------------------------------------------------------------------


@st.composite
def contacts(draw: st.DrawFn) -> dict[str, Any]:
    text = st.one_of(words, st.just(""))
    return {
        **{f: draw(text) for f in TEXT_FIELDS if f != "email"},
        "email": draw(st.sampled_from(["ana", "Ana", "ñandú", "a_b", "a%b"])),
        "score": float(draw(numbers)),
        "tags": draw(st.lists(st.one_of(words, numbers), max_size=3)),
        "created_at": draw(moments),
        "attributes": draw(json_objects(ATTRIBUTE_NAMES)),
        "events": draw(st.lists(events(), max_size=4)),
        "exposures": draw(st.lists(exposures(), max_size=5)),
    }


@st.composite
def exposures(draw: st.DrawFn) -> dict[str, Any]:
    return {"channel": draw(st.sampled_from(EXPOSURE_CHANNELS)), "occurred_at": draw(moments)}


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "name": draw(st.sampled_from(EVENT_NAMES)),
        "properties": draw(json_objects(PROPERTY_NAMES)),
        "occurred_at": draw(moments),
    }
