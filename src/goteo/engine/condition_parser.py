"""Read a condition (a YAML/JSON value) into its parsed form, naming every problem by its path.

Problems are ``(path, message)`` pairs, such as
``("steps[2].if.any[0].score", "'x' is not a number")``; the caller adds lines. Parsing goes on
after a problem, so one pass reports all of them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from math import isfinite
from typing import Any, cast, get_args

from goteo.engine.condition_model import (
    AT_LEAST_ONCE,
    ATTRIBUTES,
    COUNT_OPS,
    FIELD_KINDS,
    OPS_BY_KIND,
    AllOf,
    AnyOf,
    Check,
    Condition,
    EventTest,
    FieldTest,
    Kind,
    Not,
    Op,
    Operand,
    PropertyFilter,
    PropertyTest,
    Scalar,
)
from goteo.engine.durations import DurationError, parse_duration
from goteo.engine.yamlsource import join

Problems = list[tuple[str, str]]

NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
EVENT_NAME_MAX = 64
COMBINATORS = ("all", "any", "not")
EVENT_KEYS = ("where", "within", "count")
LIST_OPS = ("in", "not_in")
TEXT_ONLY_OPS = ("starts_with", "ends_with")
NUMBER_OPS = ("gt", "gte", "lt", "lte")
FIELDS_HINT = ", ".join([*FIELD_KINDS, "attributes.<name>"])
KEYWORDS_HINT = "all, any, not, event"
ALL_OPS: tuple[str, ...] = get_args(Op)


def parse_condition(raw: Any, path: str) -> tuple[Condition | None, Problems]:
    """Parse a condition; return it, or None with every problem found."""
    problems: Problems = []
    condition = _condition(raw, path, problems)
    return (None if problems else condition), problems


def parse_where(raw: Any, path: str) -> tuple[PropertyFilter | None, Problems]:
    """Parse the ``where`` of an event test: property name -> value or operator mapping."""
    problems: Problems = []
    where = _where(raw, path, problems)
    return (None if problems else where), problems


def _condition(raw: Any, path: str, problems: Problems) -> Condition | None:
    if not isinstance(raw, Mapping):
        problems.append(
            (path, f"{raw!r} is not a condition (a mapping like {{locale: es}} or {{event: x}})")
        )
        return None
    if not raw:
        problems.append((path, f"an empty condition: name a field or one of {KEYWORDS_HINT}"))
        return None
    parts: list[Condition | None] = []
    if "event" in raw:
        parts.append(_event(raw, path, problems))
    for key, value in raw.items():
        where = join(path, key)
        if key in ("event", *EVENT_KEYS):
            if key != "event" and "event" not in raw:
                problems.append((where, f"'{key}' goes with an event test (add event: <name>)"))
        elif key in COMBINATORS:
            parts.append(_combinator(key, value, where, problems))
        else:
            parts.append(_field(key, value, where, problems))
    found = [p for p in parts if p is not None]
    if not found or len(found) < len(parts):
        return None
    return found[0] if len(found) == 1 else AllOf(tuple(found))


def _combinator(key: str, value: Any, path: str, problems: Problems) -> Condition | None:
    if key == "not":
        item = _condition(value, path, problems)
        return Not(item) if item is not None else None
    if not isinstance(value, list) or not value:
        problems.append((path, f"'{key}' takes a non-empty list of conditions"))
        return None
    items = [_condition(v, join(path, i), problems) for i, v in enumerate(value)]
    if any(i is None for i in items):
        return None
    found = tuple(i for i in items if i is not None)
    return AllOf(found) if key == "all" else AnyOf(found)


def _field(key: Any, value: Any, path: str, problems: Problems) -> FieldTest | None:
    name = str(key)
    kind: Kind | None = FIELD_KINDS.get(name)
    prefix, dot, attribute = name.partition(".")
    if kind is None and prefix == ATTRIBUTES and dot:
        if not NAME.match(attribute):
            problems.append(
                (path, f"{attribute!r} is not an attribute name (letters, digits and _)")
            )
            return None
        kind = "json"
    if kind is None:
        problems.append(
            (path, f"unknown field {name!r} (fields: {FIELDS_HINT}; keywords: {KEYWORDS_HINT})")
        )
        return None
    checks = _checks(value, kind, path, problems, subject=name)
    return FieldTest(name, checks) if checks is not None else None


def _where(raw: Any, path: str, problems: Problems) -> PropertyFilter | None:
    if not isinstance(raw, Mapping) or not raw:
        problems.append((path, "must be a mapping of property name -> value or operators"))
        return None
    tests: list[PropertyTest] = []
    for key, value in raw.items():
        where = join(path, key)
        if not isinstance(key, str) or not NAME.match(key):
            problems.append((where, f"{key!r} is not a property name (letters, digits and _)"))
            continue
        checks = _checks(value, "json", where, problems, subject=key)
        if checks is not None:
            tests.append(PropertyTest(key, checks))
    return PropertyFilter(tuple(tests)) if len(tests) == len(raw) else None


def _event(raw: Mapping[str, Any], path: str, problems: Problems) -> EventTest | None:
    name = raw["event"]
    ok = True
    if not isinstance(name, str) or not name.strip() or len(name) > EVENT_NAME_MAX:
        problems.append(
            (join(path, "event"), f"{name!r} must be an event name (text, at most 64 characters)")
        )
        ok = False
    where = None
    if "where" in raw:
        where = _where(raw["where"], join(path, "where"), problems)
        ok = ok and where is not None
    within = None
    if "within" in raw:
        try:
            within = parse_duration(raw["within"])
        except DurationError as exc:
            problems.append((join(path, "within"), str(exc)))
            ok = False
    count: tuple[Check, ...] = AT_LEAST_ONCE
    if "count" in raw:
        parsed = _count(raw["count"], join(path, "count"), problems)
        ok = ok and parsed is not None
        count = parsed or count
    return EventTest(cast(str, name), where, within, count) if ok else None


def _count(value: Any, path: str, problems: Problems) -> tuple[Check, ...] | None:
    if not isinstance(value, Mapping):
        value = {"equals": value}
        if not _is_count(value["equals"]):
            problems.append((path, f"{value['equals']!r} is not a count (a whole number >= 0)"))
            return None
    if not value:
        problems.append((path, "must hold at least one operator, like {gte: 2}"))
        return None
    checks: list[Check] = []
    for op, operand in value.items():
        where = join(path, op)
        if op not in COUNT_OPS:
            problems.append((where, f"unknown count operator (expected {', '.join(COUNT_OPS)})"))
        elif not _is_count(operand):
            problems.append((where, f"{operand!r} is not a count (a whole number >= 0)"))
        else:
            checks.append(Check(op, operand))
    return tuple(checks) if len(checks) == len(value) else None


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _checks(
    value: Any, kind: Kind, path: str, problems: Problems, *, subject: str
) -> tuple[Check, ...] | None:
    """A scalar means equals; a mapping holds operators, all of which must hold."""
    if not isinstance(value, Mapping):
        hint = _shorthand_problem(value, kind, subject)
        if hint:
            problems.append((path, hint))
            return None
        value = {"equals": value}
        check = _check("equals", value["equals"], kind, path, problems, subject)
        return (check,) if check else None
    if not value:
        problems.append((path, "must hold at least one operator, like {equals: x}"))
        return None
    checks = [_check(op, v, kind, join(path, op), problems, subject) for op, v in value.items()]
    found = tuple(c for c in checks if c is not None)
    return found if len(found) == len(checks) else None


def _shorthand_problem(value: Any, kind: Kind, subject: str) -> str | None:
    if kind == "list":
        return f"{subject} is a list: use {{contains: {value!r}}} or {{exists: true}}"
    if kind == "time":
        return f"{subject} is a moment: use {{before: 30d}} or {{after: 30d}} (a duration ago)"
    if value is None:
        return "null is not a value to compare with: use {exists: false} for a missing value"
    if isinstance(value, list):
        return f"a list is not a value: use {{in: {value!r}}} for any of several values"
    return None


def _check(
    op: Any, value: Any, kind: Kind, path: str, problems: Problems, subject: str
) -> Check | None:
    allowed = OPS_BY_KIND[kind]
    if op not in ALL_OPS:
        guess = difflib.get_close_matches(str(op), allowed, n=1, cutoff=0.6)
        hint = f"did you mean {guess[0]}? " if guess else ""
        known = ", ".join(allowed)
        problems.append((path, f"unknown operator {op!r} ({hint}for {subject}: {known})"))
        return None
    if op not in allowed:
        problems.append((path, f"{op!r} does not apply to {subject} (use {', '.join(allowed)})"))
        return None
    operand, message = _operand(cast(Op, op), value, kind)
    if message is not None:
        problems.append((path, message))
        return None
    assert operand is not None
    return Check(cast(Op, op), operand)


def _operand(op: Op, value: Any, kind: Kind) -> tuple[Operand | None, str | None]:
    if op == "exists":
        ok = isinstance(value, bool)
        return (value, None) if ok else (None, f"{value!r} must be true or false")
    if op in ("before", "after"):
        try:
            return parse_duration(value), None
        except DurationError as exc:
            return None, str(exc)
    if op in LIST_OPS:
        if not isinstance(value, list) or not value:
            return None, f"{value!r} must be a non-empty list of values"
        items = [_scalar(v, kind, op) for v in value]
        problems = [m for _, m in items if m is not None]
        if problems:
            return None, problems[0]
        return tuple(v for v, _ in items if v is not None), None
    return _scalar(value, kind, op)


def _scalar(value: Any, kind: Kind, op: Op) -> tuple[Scalar | None, str | None]:
    wants_number = kind == "number" or op in NUMBER_OPS
    wants_text = kind == "text" or op in TEXT_ONLY_OPS
    if wants_number:
        if isinstance(value, bool) or not isinstance(value, int | float) or not isfinite(value):
            return None, f"{value!r} is not a number"
        return value, None
    if isinstance(value, str):
        if not value:
            return None, "'' is empty text, which counts as missing: use {exists: false}"
        return value, None
    if wants_text:
        quoted = " (put it in quotes if you meant text)" if _is_scalar(value) else ""
        return None, f"{value!r} is not text{quoted}"
    if _is_scalar(value):
        return value, None
    return None, f"{value!r} is not a value to compare with (text, a number, true or false)"


def _is_scalar(value: Any) -> bool:
    return isinstance(value, bool) or (isinstance(value, int | float) and isfinite(value))
