"""A condition written back as short text, for timelines: ``score gte 50 and tags contains vip``."""

from __future__ import annotations

from datetime import timedelta

from goteo.engine.condition_model import (
    AT_LEAST_ONCE,
    AllOf,
    AnyOf,
    Check,
    Condition,
    EventTest,
    FieldTest,
    PropertyFilter,
)
from goteo.engine.durations import format_duration


def describe(condition: Condition) -> str:
    if isinstance(condition, FieldTest):
        return _checks(condition.field, condition.checks)
    if isinstance(condition, EventTest):
        return _event(condition)
    if isinstance(condition, AllOf | AnyOf):
        word = " and " if isinstance(condition, AllOf) else " or "
        return "(" + word.join(describe(item) for item in condition.items) + ")"
    return f"not {describe(condition.item)}"


def describe_where(where: PropertyFilter | None) -> str:
    if where is None:
        return ""
    return " where " + " and ".join(_checks(t.name, t.checks) for t in where.tests)


def _checks(subject: str, checks: tuple[Check, ...]) -> str:
    return " and ".join(f"{subject} {_check(check)}" for check in checks)


def _check(check: Check) -> str:
    if check.op == "exists":
        return "exists" if check.operand else "is missing"
    operand = check.operand
    if isinstance(operand, timedelta):
        text = f"{format_duration(operand)} ago"
    elif isinstance(operand, tuple):
        text = "[" + ", ".join(str(v) for v in operand) + "]"
    else:
        text = str(operand)
    return f"{check.op} {text}"


def _event(test: EventTest) -> str:
    text = f"event {test.name}{describe_where(test.where)}"
    if test.within is not None:
        text += f" within {format_duration(test.within)}"
    if test.count != AT_LEAST_ONCE:
        text += " " + _checks("count", test.count)
    return text
