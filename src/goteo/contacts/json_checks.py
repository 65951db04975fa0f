"""SQL for one condition operator on a JSON value, with the same rules on SQLite and PostgreSQL.

A JSON value (a contact attribute, the tags list, an event property) is tested by its JSON
type first, never through text: ``"10"`` is not the number 10, ``true`` is not 1, and a string
is compared exactly (``instr``/``strpos`` and ``substr``/``right``, never the case-insensitive
SQLite ``LIKE``). Every test is wrapped so it is TRUE or FALSE, never NULL, which keeps ``NOT``
exact. The rules themselves are written down in ``goteo.engine.conditions``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Expression
from django.db.models.sql.compiler import SQLCompiler

from goteo.engine.condition_model import Check, Scalar


@dataclass(frozen=True)
class Sql:
    """A fragment of SQL with its parameters, in order of appearance."""

    text: str
    params: tuple[Any, ...] = ()

    def __add__(self, other: Sql | str) -> Sql:
        if isinstance(other, str):
            return Sql(self.text + other, self.params)
        return Sql(self.text + other.text, self.params + other.params)

    def __radd__(self, other: str) -> Sql:
        return Sql(other + self.text, self.params)


def sql(*parts: Sql | str) -> Sql:
    out = Sql("")
    for part in parts:
        out = out + part
    return out


def param(value: Any) -> Sql:
    return Sql("%s", (value,))


def joined(parts: list[Sql], word: str) -> Sql:
    out = Sql("(")
    for i, part in enumerate(parts):
        out = out + (f" {word} " if i else "") + part
    return out + ")"


Test = Callable[["JsonValue"], Sql]


@dataclass(frozen=True)
class JsonValue:
    """One JSON value as a vendor reaches it."""

    dialect: Dialect
    kind: Sql  # the vendor's JSON type name; NULL when the key is absent
    text: Sql  # the value as SQL text (meaningful for strings)
    number: Sql  # the value as a float (evaluated only for numbers)
    source: Sql | None  # an array's elements, for EXISTS (None for an element itself)


class Dialect:
    """What differs between SQLite and PostgreSQL; the rules are the functions below."""

    names: dict[str, str]  # our kind (null, text, number, list, object) -> the vendor's name

    def value(self, column: Sql, key: str | None) -> JsonValue:
        raise NotImplementedError

    def element(self) -> tuple[str, JsonValue]:
        """The FROM item around an array's elements (``{}`` marks them) and one element."""
        raise NotImplementedError

    def text_param(self, text: str) -> Sql:
        raise NotImplementedError

    def number_param(self, number: float) -> Sql:
        raise NotImplementedError

    def position(self, text: Sql, needle: str) -> Sql:
        raise NotImplementedError

    def ends_with(self, text: Sql, tail: str) -> Sql:
        raise NotImplementedError

    def is_bool(self, v: JsonValue, flag: bool) -> Sql:
        raise NotImplementedError

    def is_kind(self, v: JsonValue, kind: str) -> Sql:
        return sql("COALESCE(", v.kind, f" IN ({self.names[kind]}), FALSE)")


class SqliteDialect(Dialect):
    names = {
        "null": "'null'",
        "text": "'text'",
        "number": "'integer', 'real'",
        "list": "'array'",
        "object": "'object'",
    }

    def value(self, column: Sql, key: str | None) -> JsonValue:
        path = param("$" if key is None else f'$."{key}"')
        extracted = sql("json_extract(", column, ", ", path, ")")
        kind = sql("json_type(", column, ", ", path, ")")
        source = sql("json_each(", column, ", ", path, ")")
        return JsonValue(self, kind, extracted, sql("CAST(", extracted, " AS REAL)"), source)

    def element(self) -> tuple[str, JsonValue]:
        el = JsonValue(self, Sql("el.type"), Sql("el.value"), Sql("CAST(el.value AS REAL)"), None)
        return "{} AS el", el

    def text_param(self, text: str) -> Sql:
        return param(text)

    def number_param(self, number: float) -> Sql:
        return sql("CAST(", param(number), " AS REAL)")

    def position(self, text: Sql, needle: str) -> Sql:
        return sql("instr(", text, ", ", param(needle), ")")

    def ends_with(self, text: Sql, tail: str) -> Sql:
        n = param(len(tail))
        return sql("length(", text, ") >= ", n, " AND substr(", text, ", -", n, ") = ", param(tail))

    def is_bool(self, v: JsonValue, flag: bool) -> Sql:
        return sql("COALESCE(", v.kind, " = ", "'true'" if flag else "'false'", ", FALSE)")


class PostgresDialect(Dialect):
    names = {
        "null": "'null'",
        "text": "'string'",
        "number": "'number'",
        "list": "'array'",
        "object": "'object'",
    }

    def value(self, column: Sql, key: str | None) -> JsonValue:
        v = column if key is None else sql("(", column, " -> ", self.text_param(key), ")")
        return self._of(v, source=sql("jsonb_array_elements(", v, ")"))

    def _of(self, v: Sql, source: Sql | None) -> JsonValue:
        kind = sql("jsonb_typeof(", v, ")")
        return JsonValue(self, kind, sql("(", v, " #>> '{}')"), sql("(", v, ")::float8"), source)

    def element(self) -> tuple[str, JsonValue]:
        return "{} AS el(v)", self._of(Sql("el.v"), None)

    def text_param(self, text: str) -> Sql:
        return sql(param(text), "::text")

    def number_param(self, number: float) -> Sql:
        return sql(param(number), "::float8")

    def position(self, text: Sql, needle: str) -> Sql:
        return sql("strpos(", text, ", ", self.text_param(needle), ")")

    def ends_with(self, text: Sql, tail: str) -> Sql:
        return sql("right(", text, ", ", param(len(tail)), ") = ", self.text_param(tail))

    def is_bool(self, v: JsonValue, flag: bool) -> Sql:
        word = "true" if flag else "false"
        return sql("COALESCE(", v.kind, " = 'boolean' AND ", v.text, f" = '{word}', FALSE)")


DIALECTS: dict[str, Dialect] = {"sqlite": SqliteDialect(), "postgresql": PostgresDialect()}


def when(condition: Sql, then: Sql) -> Sql:
    """``then`` only when ``condition`` holds: a CASE, so PostgreSQL casts only what matches."""
    return sql("CASE WHEN ", condition, " THEN ", then, " ELSE FALSE END")


def some_element(v: JsonValue, test: Test) -> Sql:
    """Some element of the array ``v`` passes ``test`` (``v`` must be known to be an array)."""
    if v.source is None:
        return Sql("FALSE")
    from_clause, el = v.dialect.element()
    before, after = from_clause.split("{}")
    return sql("EXISTS (SELECT 1 FROM ", before, v.source, after, " WHERE ", test(el), ")")


def present(v: JsonValue) -> Sql:
    """Not absent, not null, not empty text, not an empty list or object."""
    d = v.dialect
    return sql(
        "CASE WHEN ",
        v.kind,
        " IS NULL THEN FALSE WHEN ",
        d.is_kind(v, "null"),
        " THEN FALSE WHEN ",
        d.is_kind(v, "text"),
        " THEN ",
        v.text,
        " <> '' WHEN ",
        d.is_kind(v, "list"),
        " THEN ",
        some_element(v, lambda _el: Sql("TRUE")),
        " WHEN ",
        d.is_kind(v, "object"),
        " THEN ",
        v.text,
        " <> '{}' ELSE TRUE END",
    )


def same(v: JsonValue, operand: Scalar) -> Sql:
    """``equals``: the same kind and value (text exactly, numbers as floats)."""
    d = v.dialect
    if isinstance(operand, bool):
        return d.is_bool(v, operand)
    if isinstance(operand, int | float):
        return when(d.is_kind(v, "number"), sql(v.number, " = ", d.number_param(float(operand))))
    return when(d.is_kind(v, "text"), sql(v.text, " = ", d.text_param(operand)))


def options(operand: object) -> list[Scalar]:
    if isinstance(operand, tuple):
        return list(operand)
    return [operand] if isinstance(operand, str | int | float) else []


def check_sql(v: JsonValue, check: Check) -> Sql:
    """One operator on one JSON value: TRUE, FALSE or NULL (NULL only for an absent value)."""
    d, op, operand = v.dialect, check.op, check.operand
    if op == "exists":
        return present(v) if operand else sql("NOT (", present(v), ")")
    if op in ("equals", "in"):
        return joined([same(v, o) for o in options(operand)], "OR")
    if op in ("not_equals", "not_in"):
        equal = [same(v, o) for o in options(operand)]
        return sql("(", present(v), " AND NOT ", joined(equal, "OR"), ")")
    if op == "contains":
        (item,) = options(operand)
        member = when(d.is_kind(v, "list"), some_element(v, lambda el: same(el, item)))
        if not isinstance(item, str):
            return member
        inside = when(d.is_kind(v, "text"), sql(d.position(v.text, item), " > 0"))
        return joined([inside, member], "OR")
    if op == "starts_with" and isinstance(operand, str):
        return when(d.is_kind(v, "text"), sql(d.position(v.text, operand), " = 1"))
    if op == "ends_with" and isinstance(operand, str):
        return when(d.is_kind(v, "text"), d.ends_with(v.text, operand))
    if op in COMPARISONS and isinstance(operand, int | float) and not isinstance(operand, bool):
        compare = sql(v.number, COMPARISONS[op], d.number_param(float(operand)))
        return when(d.is_kind(v, "number"), compare)
    raise ValueError(f"{op!r} cannot test a JSON value")


COMPARISONS = {"gt": " > ", "gte": " >= ", "lt": " < ", "lte": " <= "}


class JsonCheck(Expression):
    """A boolean expression: one operator on a JSON ``column`` (or its ``key``), never NULL."""

    conditional = True

    def __init__(self, column: Any, key: str | None, check: Check) -> None:
        super().__init__(output_field=BooleanField())
        self.column = column
        self.key = key
        self.check = check

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.column,) = exprs

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        dialect = DIALECTS.get(connection.vendor)
        if dialect is None:
            raise NotSupportedError(f"conditions are not compiled for {connection.vendor}")
        column_sql, column_params = compiler.compile(self.column)
        value = dialect.value(Sql(column_sql, tuple(column_params)), self.key)
        test = sql("COALESCE((", check_sql(value, self.check), "), FALSE)")
        return test.text, test.params
