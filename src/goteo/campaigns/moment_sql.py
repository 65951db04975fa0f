"""Arithmetic on stored moments done by the database itself, in SQL both databases run fast.

Django's own day truncation and moment-plus-duration call back into Python for every row on
SQLite, which stores moments as UTC text (``YYYY-MM-DD HH:MM:SS`` and, when not a whole
second, ``.ffffff``); these do the same in SQLite's own functions, to the microsecond.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import DateField, DateTimeField, DurationField, Expression, F, Func, Value
from django.db.models.expressions import CombinedExpression


class UtcDay(Func):
    """The UTC day of a moment, computed by the database itself: Django's ``TruncDate``
    calls back into Python for every row on SQLite, which stores moments as UTC text."""

    output_field = DateField()

    def __init__(self, column: str) -> None:
        super().__init__(F(column))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="SUBSTR(%(expressions)s, 1, 10)")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="(%(expressions)s AT TIME ZONE 'UTC')::date"
        )


class _WholeSecondsLater(Func):
    """``moment`` plus a whole number of seconds. On SQLite: the whole seconds shifted by
    SQLite's ``DATETIME`` (exact on whole seconds), the fraction kept as it was written, so
    the text compares with stored moments as the moments do. Elsewhere: Django's own sum."""

    output_field = DateTimeField()

    def __init__(self, moment: Any, delta: timedelta) -> None:
        self.delta = delta
        super().__init__(moment)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        (moment,) = self.get_source_expressions()
        delta = Value(self.delta, output_field=DurationField())
        total = CombinedExpression(moment, "+", delta, output_field=DateTimeField())
        return compiler.compile(total.resolve_expression(compiler.query))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        seconds = int(self.delta.total_seconds())
        template = (
            f"(DATETIME(SUBSTR(%(expressions)s, 1, 19), '{seconds:+d} seconds')"
            " || SUBSTR(%(expressions)s, 20))"
        )
        return Func.as_sql(self, compiler, connection, template=template)


def moment_plus(moment: Any, delta: timedelta) -> Expression:
    """``moment`` (a column, ``F`` or ``OuterRef``) plus ``delta``, computed by the database."""
    if isinstance(moment, str):
        moment = F(moment)
    if delta % timedelta(seconds=1):
        total = CombinedExpression(
            moment, "+", Value(delta, output_field=DurationField()), output_field=DateTimeField()
        )
        return total  # not whole seconds (no duration Goteo parses): Django's own
    return _WholeSecondsLater(moment, delta)
