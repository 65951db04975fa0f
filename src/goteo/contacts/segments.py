"""Conditions compiled to SQL: a segment is every contact a condition matches.

``Contact.objects.filter(condition_q(condition, now))`` selects exactly the contacts for which
``goteo.engine.conditions.evaluate`` is true at ``now`` (the property tests hold both to it), on
SQLite and PostgreSQL. Event tests become ``EXISTS`` or counting subqueries over ``Event``,
exposure tests the same over the exposure ledger;
JSON values are tested by ``goteo.contacts.json_checks``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Right, StrIndex
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
)

from goteo.campaigns.models import Exposure
from goteo.contacts.json_checks import JsonCheck, options
from goteo.contacts.models import Event
from goteo.engine.condition_model import (
    FIELD_KINDS,
    AllOf,
    AnyOf,
    Check,
    EventTest,
    ExposureTest,
    FieldTest,
    Not,
)
from goteo.engine.conditions import Condition, PropertyFilter

ALWAYS = Q(pk__isnull=False)
NEVER = Q(pk__isnull=True)
LOOKUPS = {
    "equals": Exact,
    "gt": GreaterThan,
    "gte": GreaterThanOrEqual,
    "lt": LessThan,
    "lte": LessThanOrEqual,
}


def condition_q(condition: Condition, now: datetime) -> Q:
    """A filter over ``Contact`` for the contacts ``condition`` matches at ``now``."""
    if isinstance(condition, AllOf):
        return reduce(and_, (condition_q(c, now) for c in condition.items))
    if isinstance(condition, AnyOf):
        return reduce(or_, (condition_q(c, now) for c in condition.items))
    if isinstance(condition, Not):
        return ~condition_q(condition.item, now)
    if isinstance(condition, EventTest):
        return _event_q(condition, now)
    if isinstance(condition, ExposureTest):
        return _exposure_q(condition, now)
    return reduce(and_, (_field_check(condition, c, now) for c in condition.checks))


def where_q(where: PropertyFilter) -> Q:
    """A filter over ``Event`` for the events whose properties match ``where``."""
    return reduce(
        and_, (Q(JsonCheck(F("properties"), t.name, c)) for t in where.tests for c in t.checks)
    )


def _field_check(test: FieldTest, check: Check, now: datetime) -> Q:
    kind = FIELD_KINDS.get(test.field, "json")
    if kind == "json":
        return Q(JsonCheck(F("attributes"), test.attribute, check))
    if kind == "list":
        return Q(JsonCheck(F(test.field), None, check))
    if check.op == "exists":
        # Text fields are never NULL: empty text is their missing value. Numbers and moments
        # are always set.
        present = ~Q(**{test.field: ""}) if kind == "text" else ALWAYS
        return present if check.operand else ~present
    if kind == "time":
        return _time_check(test.field, check, now)
    return _column_check(test.field, check)


def _time_check(column: str, check: Check, now: datetime) -> Q:
    if check.op not in ("before", "after") or not isinstance(check.operand, timedelta):
        raise ValueError(f"{check.op!r} cannot test {column}")
    since = now - check.operand
    return Q(**{f"{column}__lt" if check.op == "before" else f"{column}__gte": since})


def _column_check(column: str, check: Check) -> Q:
    """Text (never NULL, empty means missing) or number columns; operands were validated."""
    op, operand = check.op, check.operand
    present = ~Q(**{column: ""}) if FIELD_KINDS[column] == "text" else ALWAYS
    if op == "equals":
        return Q(**{column: operand})
    if op == "not_equals":
        return present & ~Q(**{column: operand})
    if op == "in":
        return Q(**{f"{column}__in": options(operand)})
    if op == "not_in":
        return present & ~Q(**{f"{column}__in": options(operand)})
    if op in ("contains", "starts_with", "ends_with") and isinstance(operand, str):
        return Q(_text_check(column, op, operand))
    if op in LOOKUPS:
        return Q(LOOKUPS[op](F(column), operand))
    raise ValueError(f"{op!r} cannot test {column}")


def _text_check(column: str, op: str, text: str) -> Exact | GreaterThan:
    # Exact and case-sensitive on every database: instr/strpos and substr/right, never LIKE.
    position = StrIndex(F(column), Value(text))
    if op == "contains":
        return GreaterThan(position, 0)
    if op == "starts_with":
        return Exact(position, 1)
    return Exact(Right(F(column), len(text)), Value(text))


def _event_q(test: EventTest, now: datetime) -> Q:
    events = Event.objects.filter(contact=OuterRef("pk"), name=test.name, occurred_at__lte=now)
    if test.within is not None:
        events = events.filter(occurred_at__gte=now - test.within)
    if test.where is not None:
        events = events.filter(where_q(test.where))
    return _counted(events, test.count)


def _exposure_q(test: ExposureTest, now: datetime) -> Q:
    exposures = Exposure.objects.filter(contact=OuterRef("pk"), occurred_at__lte=now)
    if test.within is not None:
        exposures = exposures.filter(occurred_at__gte=now - test.within)
    if test.channels:
        exposures = exposures.filter(channel__in=test.channels)
    return _counted(exposures, test.count)


def _counted(rows: QuerySet[Any], count: tuple[Check, ...]) -> Q:
    """The contact's ``rows`` (a subquery on the contact) number as ``count`` says."""
    ops = {(c.op, c.operand) for c in count}
    if ops <= {("gte", 1), ("gt", 0), ("not_equals", 0)}:
        return Q(Exists(rows))
    if ops <= {("equals", 0), ("lt", 1), ("lte", 0)}:
        return ~Q(Exists(rows))
    counted = rows.order_by().values("contact").annotate(n=Count("pk")).values("n")
    n = Coalesce(Subquery(counted), Value(0))
    return reduce(and_, (_count_check(n, c) for c in count))


def _count_check(n: Coalesce, check: Check) -> Q:
    if check.op == "not_equals":
        return ~Q(Exact(n, check.operand))
    return Q(LOOKUPS[check.op](n, check.operand))
