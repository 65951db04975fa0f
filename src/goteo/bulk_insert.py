"""Multi-row INSERT statements for the hot paths that write hundreds of rows per request
(new journeys from event triggers, conversions from purchases): building that many ORM
objects costs more than the statement itself."""

from __future__ import annotations

from collections.abc import Sequence
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
