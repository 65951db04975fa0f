"""The condition language of segments, branches and exit conditions (docs/conditions.md).

One language, two evaluators that must agree: this module tests one contact in Python (pure:
no Django, no I/O, "now" is passed in), and ``goteo.contacts.segments`` compiles the same
condition to SQL for a whole population.

The rules both follow:

- A value is *missing* when it is absent, null, empty text, an empty list or an empty object.
  Every operator is false on a missing value, except ``exists: false``.
- Values have kinds: text, number, boolean, list, object. ``equals`` holds only between values
  of the same kind (``"10"`` never equals ``10``; ``true`` is not ``1``). Numbers compare as
  double-precision floats. Text compares exactly: case-sensitively, code point by code point.
- ``contains`` is a substring test on text and a membership test (by ``equals``) on lists;
  ``starts_with``/``ends_with`` need text; ``gt``/``gte``/``lt``/``lte`` need numbers.
- ``not_equals`` and ``not_in`` need a value that is present (and then do not equal it).
- ``before: 30d`` holds for a moment earlier than ``now - 30d``; ``after: 30d`` for one at or
  later than it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from goteo.engine.condition_model import (
    AllOf,
    AnyOf,
    Check,
    Condition,
    EventRecord,
    EventTest,
    ExposureRecord,
    ExposureTest,
    Facts,
    FieldTest,
    Not,
    PropertyFilter,
)
from goteo.engine.condition_parser import parse_condition, parse_where

_T = TypeVar("_T", EventTest, ExposureTest)

__all__ = [
    "Condition",
    "EventRecord",
    "ExposureRecord",
    "Facts",
    "PropertyFilter",
    "count_events",
    "count_exposures",
    "evaluate",
    "event_names",
    "exposure_lookback",
    "is_present",
    "lookback",
    "matches_where",
    "parse_condition",
    "parse_where",
    "value_matches",
]


def evaluate(condition: Condition, facts: Facts, now: datetime) -> bool:
    """Does the contact described by ``facts`` match ``condition`` at ``now``?"""
    if isinstance(condition, AllOf):
        return all(evaluate(c, facts, now) for c in condition.items)
    if isinstance(condition, AnyOf):
        return any(evaluate(c, facts, now) for c in condition.items)
    if isinstance(condition, Not):
        return not evaluate(condition.item, facts, now)
    if isinstance(condition, FieldTest):
        value = _field_value(facts.fields, condition)
        return all(value_matches(c, value, now) for c in condition.checks)
    if isinstance(condition, ExposureTest):
        n = count_exposures(condition, facts.exposures, now)
        return all(_compare(c.op, n, c.operand) for c in condition.count)
    n = count_events(condition, facts.events, now)
    return all(_compare(c.op, n, c.operand) for c in condition.count)


def matches_where(where: PropertyFilter, properties: Mapping[str, Any]) -> bool:
    """Do an event's properties match the ``where`` of an event test?"""
    return all(
        value_matches(c, properties.get(t.name), None) for t in where.tests for c in t.checks
    )


def count_events(test: EventTest, events: Sequence[EventRecord], now: datetime) -> int:
    """How many of ``events`` an event test counts at ``now``."""
    since = now - test.within if test.within is not None else None
    return sum(
        1
        for e in events
        if e.name == test.name
        and e.occurred_at <= now
        and (since is None or e.occurred_at >= since)
        and (test.where is None or matches_where(test.where, e.properties))
    )


def count_exposures(test: ExposureTest, exposures: Sequence[ExposureRecord], now: datetime) -> int:
    """How many of ``exposures`` an exposure test counts at ``now``."""
    since = now - test.within if test.within is not None else None
    return sum(
        1
        for e in exposures
        if e.occurred_at <= now
        and (since is None or e.occurred_at >= since)
        and (not test.channels or e.channel in test.channels)
    )


def exposure_lookback(condition: Condition) -> timedelta | bool | None:
    """How far back ``evaluate`` needs the contact's exposures: the longest ``within``, None
    for all history, False when the condition reads no exposures."""
    tests = _tests(condition, ExposureTest)
    if not tests:
        return False
    if any(t.within is None for t in tests):
        return None
    return max(t.within for t in tests if t.within is not None)


def event_names(condition: Condition) -> frozenset[str]:
    """The names of the events ``evaluate`` needs in ``Facts.events``."""
    return frozenset(t.name for t in _event_tests(condition))


def lookback(condition: Condition) -> timedelta | None:
    """How far back those events are needed: the longest ``within``; None for all history.

    A condition without event tests needs no events: ``timedelta(0)``.
    """
    longest = timedelta(0)
    for test in _event_tests(condition):
        if test.within is None:
            return None
        longest = max(longest, test.within)
    return longest


def _event_tests(condition: Condition) -> list[EventTest]:
    return _tests(condition, EventTest)


def _tests(condition: Condition, kind: type[_T]) -> list[_T]:
    if isinstance(condition, AllOf | AnyOf):
        return [t for c in condition.items for t in _tests(c, kind)]
    if isinstance(condition, Not):
        return _tests(condition.item, kind)
    return [condition] if isinstance(condition, kind) else []


def _field_value(fields: Mapping[str, Any], test: FieldTest) -> Any:
    attribute = test.attribute
    if attribute is None:
        return fields.get(test.field)
    attributes = fields.get("attributes")
    return attributes.get(attribute) if isinstance(attributes, Mapping) else None


def is_present(value: Any) -> bool:
    """Not missing: not None, and not empty text, an empty list or an empty object."""
    if value is None:
        return False
    if isinstance(value, str | list | tuple | Mapping):
        return len(value) > 0
    return True


def value_matches(check: Check, value: Any, now: datetime | None) -> bool:
    """One operator on one value (``now`` is needed only for before/after)."""
    op, operand = check.op, check.operand
    if op == "exists":
        return is_present(value) == operand
    if not is_present(value):
        return False
    if op == "before" or op == "after":
        if now is None or not isinstance(value, datetime) or not isinstance(operand, timedelta):
            return False
        return value < now - operand if op == "before" else value >= now - operand
    if op == "equals" or op == "not_equals":
        return _same(value, operand) == (op == "equals")
    if op == "in" or op == "not_in":
        options = operand if isinstance(operand, tuple) else ()
        return any(_same(value, o) for o in options) == (op == "in")
    if op == "contains":
        if isinstance(value, str):
            return isinstance(operand, str) and operand in value
        return isinstance(value, list | tuple) and any(_same(v, operand) for v in value)
    if op == "starts_with" or op == "ends_with":
        if not isinstance(value, str) or not isinstance(operand, str):
            return False
        return value.startswith(operand) if op == "starts_with" else value.endswith(operand)
    return _is_number(value) and _compare(op, float(value), operand)


def _compare(op: str, value: float, operand: object) -> bool:
    if isinstance(operand, bool) or not isinstance(operand, int | float):
        return False
    other = float(operand)
    if op == "equals":
        return value == other
    if op == "not_equals":
        return value != other
    if op == "gt":
        return value > other
    if op == "gte":
        return value >= other
    if op == "lt":
        return value < other
    return op == "lte" and value <= other


def _same(value: Any, operand: Any) -> bool:
    """``equals``: the same kind and the same value (numbers as floats, text exactly)."""
    if isinstance(value, bool) or isinstance(operand, bool):
        return isinstance(value, bool) and isinstance(operand, bool) and value == operand
    if _is_number(value) and _is_number(operand):
        return float(value) == float(operand)
    return isinstance(value, str) and isinstance(operand, str) and value == operand


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
