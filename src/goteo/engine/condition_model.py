"""The condition language's parsed form: immutable nodes, and the facts a condition is tested on.

``goteo.engine.conditions`` is the public face (parse, evaluate); this module only holds the
shapes, so that the parser, the evaluator and the SQL compiler share one vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

Op = Literal[
    "equals",
    "not_equals",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "ends_with",
    "gt",
    "gte",
    "lt",
    "lte",
    "exists",
    "before",
    "after",
]
# A value an operator compares with: text (never empty), a number (never a boolean), a boolean.
Scalar = str | int | float | bool
Operand = Scalar | tuple[Scalar, ...] | timedelta

# How each contact field holds its value. "json" is an attribute or an event property: any JSON.
Kind = Literal["text", "number", "list", "time", "json"]
FIELD_KINDS: dict[str, Kind] = {
    "email": "text",
    "first_name": "text",
    "last_name": "text",
    "locale": "text",
    "timezone": "text",
    "status": "text",
    "owner": "text",
    "score": "number",
    "tags": "list",
    "created_at": "time",
}
ATTRIBUTES = "attributes"

OPS_BY_KIND: dict[Kind, tuple[Op, ...]] = {
    "text": (
        "equals",
        "not_equals",
        "in",
        "not_in",
        "contains",
        "starts_with",
        "ends_with",
        "exists",
    ),
    "number": ("equals", "not_equals", "in", "not_in", "gt", "gte", "lt", "lte", "exists"),
    "list": ("contains", "exists"),
    "time": ("before", "after", "exists"),
    "json": (
        "equals",
        "not_equals",
        "in",
        "not_in",
        "contains",
        "starts_with",
        "ends_with",
        "gt",
        "gte",
        "lt",
        "lte",
        "exists",
    ),
}
COUNT_OPS: tuple[Op, ...] = ("equals", "not_equals", "gt", "gte", "lt", "lte")


@dataclass(frozen=True)
class Check:
    """One operator and what it compares with: ``gte: 50`` is ``Check("gte", 50)``."""

    op: Op
    operand: Operand


@dataclass(frozen=True)
class FieldTest:
    """``{score: {gte: 50, lt: 90}}``: every check holds for the contact's field.

    ``field`` is a contact field (``locale``) or one attribute (``attributes.plan``).
    """

    field: str
    checks: tuple[Check, ...]

    @property
    def attribute(self) -> str | None:
        prefix, _, name = self.field.partition(".")
        return name if prefix == ATTRIBUTES and name else None


@dataclass(frozen=True)
class PropertyTest:
    """One property of an event's ``where``: ``{url: {contains: /pricing}}``."""

    name: str
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class PropertyFilter:
    """The parsed ``where`` of an event test: every property test holds."""

    tests: tuple[PropertyTest, ...]


AT_LEAST_ONCE = (Check("gte", 1),)


@dataclass(frozen=True)
class EventTest:
    """``{event: purchase, where: {...}, within: 7d, count: {gte: 2}}``.

    The events counted are the contact's events with this name, ``occurred_at <= now`` (and
    ``>= now - within`` when given), whose properties match ``where``; every count check holds.
    """

    name: str
    where: PropertyFilter | None = None
    within: timedelta | None = None
    count: tuple[Check, ...] = AT_LEAST_ONCE


@dataclass(frozen=True)
class ExposureTest:
    """``{exposures: {count: {gte: 10}, within: 30d, channel: email}}``.

    The exposures counted are the contact's (the ledger's, docs/measurement.md) with
    ``occurred_at <= now`` (and ``>= now - within`` when given), on one of ``channels`` (every
    channel when empty); every count check holds.
    """

    within: timedelta | None = None
    channels: tuple[str, ...] = ()
    count: tuple[Check, ...] = AT_LEAST_ONCE


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = FieldTest | EventTest | ExposureTest | AllOf | AnyOf | Not


@dataclass(frozen=True)
class EventRecord:
    """One event of the contact, as the evaluator sees it."""

    name: str
    properties: Mapping[str, Any]
    occurred_at: datetime
    id: int | None = None  # the stored event's id, when it has one


@dataclass(frozen=True)
class ExposureRecord:
    """One exposure of the contact, as the evaluator sees it."""

    channel: str
    occurred_at: datetime


@dataclass(frozen=True)
class Facts:
    """What a condition is tested on: the contact's fields and the events loaded for it.

    ``fields`` holds email, first_name, last_name, locale, timezone, status, owner (text),
    score (a number), tags (a list), created_at (an aware datetime) and attributes (a dict).
    ``events`` must hold every event named by the condition within its lookback, and
    ``exposures`` every exposure within the exposure lookback, when the condition reads them.
    """

    fields: Mapping[str, Any]
    events: Sequence[EventRecord] = ()
    exposures: Sequence[ExposureRecord] = ()
