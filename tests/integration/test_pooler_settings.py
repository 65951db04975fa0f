"""The settings for PgBouncer in transaction mode (docs/scaling.md): the events ingest sends
its statement unprepared when told to, and ``.iterator()`` reads use no server-side cursor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from goteo.actions.events import EventInput, do_record_events
from goteo.config import database_settings
from goteo.contacts.models import Contact, Event


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [str(row[0]) for row in cursor.fetchall()]


def _ingest(count: int) -> None:
    inputs = [EventInput(name="page_view", email=f"p{i}@example.com") for i in range(count)]
    report = do_record_events(inputs, timezone.now())
    assert len(report.stored) == count


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_events_ingest_prepares_its_insert_once_per_connection() -> None:
    _ingest(3)
    inserts = [s for s in _prepared() if s.startswith("INSERT INTO goteo_event")]
    assert len(inserts) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_preparing_off_the_events_ingest_leaves_no_prepared_statement(settings: Any) -> None:
    settings.GOTEO_DATABASE_PREPARE = False
    connection.close()  # a fresh connection: nothing prepared on it yet
    _ingest(3)
    assert [s for s in _prepared() if "goteo_event" in s] == []
    assert Event.objects.count() == 3


def _cursors_open_while_iterating() -> int:
    """How many server-side cursors are open once an ``.iterator()`` read has begun."""
    rows = Contact.objects.values_list("id", flat=True).iterator(chunk_size=2)
    next(rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        found = cursor.fetchone()
    assert len([1, *rows]) == 5
    assert found is not None
    return int(found[0])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_server_cursors_off_an_iterator_reads_through_an_ordinary_cursor() -> None:
    Contact.objects.bulk_create([Contact(email=f"c{i}@example.com") for i in range(5)])
    assert _cursors_open_while_iterating() == 1
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
    try:
        assert _cursors_open_while_iterating() == 0
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = False


def test_the_setting_reaches_django() -> None:
    url = "postgres://goteo@db.example.com:6432/goteo"
    assert database_settings(url, Path("."))["DISABLE_SERVER_SIDE_CURSORS"] is False
    off = database_settings(url, Path("."), server_cursors=False)
    assert off["DISABLE_SERVER_SIDE_CURSORS"] is True
