"""Plain SQL for the hot paths that read or write hundreds of rows per request (new journeys
from event triggers, conversions from purchases, lookups by a batch's ids): building that
many ORM objects or lookup values costs more than the statement itself."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

CHUNK = 500


def insert_rows(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], suffix: str = ""
) -> None:
    """INSERT ``rows`` (values already prepared for the database) in chunks; ``suffix`` is
    appended to each statement, such as ``ON CONFLICT DO NOTHING``."""
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            part = rows[start : start + CHUNK]
            cursor.execute(
                head + ", ".join([placeholders] * len(part)) + (f" {suffix}" if suffix else ""),
                [value for row in part for value in row],
            )


def select_in(sql: str, values: Iterable[Any], *params: Any) -> list[tuple[Any, ...]]:
    """Run ``sql``, whose ``{values}`` stands for an IN list, over every value a chunk at a
    time; ``params`` fill the statement's other placeholders, which come after the list."""
    wanted = sorted(set(values))
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), CHUNK):
            part = wanted[start : start + CHUNK]
            cursor.execute(sql.format(values=", ".join(["%s"] * len(part))), [*part, *params])
            found += cursor.fetchall()
    return found
