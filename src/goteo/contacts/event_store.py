"""The hot SQL of event ingestion, in one place: batch contact lookups, the multi-row event
insert that skips known idempotency keys, and the visitor upsert.

Everything here runs inside the caller's transaction and works the same on SQLite (3.35 or
newer, for ``RETURNING``) and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from goteo.bulk_sql import select_in
from goteo.contacts.models import Contact, Event, Visitor

ZERO = timedelta(0)
# Rows per INSERT statement: 9 parameters each stays well under SQLite's and PostgreSQL's limits.
CHUNK = 1000
_COLUMNS = (
    "contact_id",
    "anonymous_id",
    "name",
    "properties",
    "occurred_at",
    "received_at",
    "idempotency_key",
    "source",
    "delivery_id",
)


@dataclass(frozen=True)
class EventRow:
    """One event to insert, already resolved to its contact (or to none, for a visitor)."""

    contact_id: int | None
    anonymous_id: str
    name: str
    properties: Mapping[str, Any]
    occurred_at: datetime
    idempotency_key: str | None
    source: str
    delivery_id: int | None
    properties_json: str | None = None  # the properties already encoded, if they were


def existing_contact_ids(ids: Iterable[int]) -> set[int]:
    sql = f"SELECT id, id FROM {Contact._meta.db_table} WHERE id IN ({{values}})"
    return {int(row[0]) for row in select_in(sql, ids)}


def contact_ids_by_email(emails: Iterable[str]) -> dict[str, int]:
    sql = f"SELECT email, id FROM {Contact._meta.db_table} WHERE email IN ({{values}})"
    return {email: int(id_) for email, id_ in select_in(sql, emails)}


def create_contacts(emails: Iterable[str]) -> dict[str, int]:
    """Create contacts for these (normalised, unknown) addresses with the defaults a new
    contact gets from the contacts API; return every address's id, including any created by
    a concurrent request meanwhile."""
    wanted = sorted(set(emails))
    Contact.objects.bulk_create([Contact(email=e) for e in wanted], ignore_conflicts=True)
    return contact_ids_by_email(wanted)


def visitor_contacts(anonymous_ids: Iterable[str]) -> dict[str, int | None]:
    table = Visitor._meta.db_table
    sql = f"SELECT anonymous_id, contact_id FROM {table} WHERE anonymous_id IN ({{values}})"
    return {
        aid: (int(cid) if cid is not None else None) for aid, cid in select_in(sql, anonymous_ids)
    }


def touch_visitors(seen: Mapping[str, tuple[datetime, datetime]]) -> None:
    """Create or widen each visitor's first_seen/last_seen span: anonymous_id -> (first, last)."""
    if not seen:
        return
    table = Visitor._meta.db_table
    sqlite = connection.vendor == "sqlite"
    items = sorted(seen.items())
    for start in range(0, len(items), CHUNK):
        part = items[start : start + CHUNK]
        params: list[Any] = []
        for anonymous_id, (first, last) in part:
            params += [anonymous_id, db_moment(first, sqlite), db_moment(last, sqlite)]
        values = ", ".join(["(%s, %s, %s)"] * len(part))
        sql = (
            f"INSERT INTO {table} (anonymous_id, first_seen, last_seen) VALUES {values}"
            " ON CONFLICT (anonymous_id) DO UPDATE SET"
            f" first_seen = CASE WHEN excluded.first_seen < {table}.first_seen"
            f" THEN excluded.first_seen ELSE {table}.first_seen END,"
            f" last_seen = CASE WHEN excluded.last_seen > {table}.last_seen"
            f" THEN excluded.last_seen ELSE {table}.last_seen END"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def insert_events(rows: Sequence[EventRow], received_at: datetime) -> list[int | None]:
    """Insert the rows; return each row's new id, or None where its idempotency key was
    already stored. Keys must be unique within ``rows`` (the caller drops repeats first)."""
    ids: list[int | None] = []
    for start in range(0, len(rows), CHUNK):
        ids += _insert_chunk(rows[start : start + CHUNK], received_at)
    return ids


def db_moment(value: datetime, sqlite: bool) -> Any:
    """A datetime as the database takes it: SQLite keeps naive UTC text, like Django does."""
    if not sqlite:
        return value
    if value.utcoffset() != ZERO:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ")


def _json(row: EventRow, sqlite: bool) -> Any:
    """The properties as the database takes them, reusing the text the checker encoded."""
    if row.properties_json is None:
        return connection.ops.adapt_json_value(dict(row.properties), DjangoJSONEncoder)
    if not sqlite:
        from psycopg.types.json import Jsonb

        text = row.properties_json
        return Jsonb(row.properties, dumps=lambda _: text)
    return row.properties_json


def _insert_chunk(rows: Sequence[EventRow], received_at: datetime) -> list[int | None]:
    sqlite = connection.vendor == "sqlite"  # read once: each access goes through a proxy
    received = db_moment(received_at, sqlite)
    values = [
        (
            row.contact_id,
            row.anonymous_id,
            row.name,
            _json(row, sqlite),
            db_moment(row.occurred_at, sqlite),
            received,
            row.idempotency_key,
            row.source,
            row.delivery_id,
        )
        for row in rows
    ]
    if not sqlite:
        return _insert_pipelined(_statement(1, "%s"), values)
    # The sqlite3 cursor itself, with its own placeholders: Django's wrapper would rewrite a
    # 9,000-placeholder statement with a regular expression on every batch.
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(_statement(len(rows), "?"), [v for row_values in values for v in row_values])
        returned = cursor.fetchall()
    finally:
        cursor.close()
    return _match_ids(rows, returned)


@lru_cache(maxsize=8)
def _statement(rows: int, mark: str) -> str:
    """The INSERT of ``rows`` events that skips stored keys and returns the new ids."""
    placeholders = "(" + ", ".join([mark] * len(_COLUMNS)) + ")"
    return (
        f"INSERT INTO {Event._meta.db_table} ({', '.join(_COLUMNS)}) VALUES "
        + ", ".join([placeholders] * rows)
        + " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key"
    )


def _insert_pipelined(sql: str, values: list[tuple[Any, ...]]) -> list[int | None]:
    """PostgreSQL: one prepared statement for every row, sent in pipeline mode, with a result
    per row in order (empty where the key was already stored). A multi-row VALUES statement
    of 9,000 parameters costs PostgreSQL twice as long to parse and plan as this takes.

    It needs a server-side binding cursor (Django's own cursors bind on the client) and a
    prepared statement (Django leaves preparing off): the statement is prepared once per
    connection. Behind PgBouncer in transaction mode that needs PgBouncer 1.21 or newer with
    ``max_prepared_statements`` set; ``GOTEO_DATABASE_PREPARE=off`` sends it unprepared
    (parsed for every row) for poolers without them."""
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    ids: list[int | None] = []
    threshold = raw.prepare_threshold
    raw.prepare_threshold = 0 if getattr(settings, "GOTEO_DATABASE_PREPARE", True) else None
    try:
        with psycopg.Cursor(raw) as cursor:
            cursor.executemany(sql, values, returning=True)
            while True:
                found = cursor.fetchone()
                ids.append(int(found[0]) if found is not None else None)
                if not cursor.nextset():
                    break
    finally:
        raw.prepare_threshold = threshold
    return ids


def _match_ids(rows: Sequence[EventRow], returned: list[tuple[Any, Any]]) -> list[int | None]:
    """Give each row its id. Keyed rows are matched by key; rows without a key are always
    inserted, and ids are assigned in VALUES order, so they take the unkeyed ids in order
    (RETURNING itself does not promise an order)."""
    by_key = {key: int(id_) for id_, key in returned if key is not None}
    unkeyed = iter(sorted(int(id_) for id_, key in returned if key is None))
    return [
        by_key.get(row.idempotency_key) if row.idempotency_key is not None else next(unkeyed)
        for row in rows
    ]
