"""Contacts as CSV rows: the columns ``goteo contacts export`` and the web app's download
write, one attribute per column. Read in chunks, never the whole table at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from goteo.contacts.models import Contact

COLUMNS = ["email", "first_name", "last_name", "locale", "timezone", "phone", "status"]
CHUNK = 2000


def attribute_names(query: QuerySet[Contact]) -> list[str]:
    """Every attribute name the contacts have, sorted (read in chunks)."""
    names: set[str] = set()
    for attributes in query.values_list("attributes", flat=True).iterator(chunk_size=CHUNK):
        names.update(attributes)
    return sorted(names)


def csv_rows(query: QuerySet[Contact]) -> Iterator[list[Any]]:
    """The header, then one row per contact, by id."""
    extra = attribute_names(query)
    yield COLUMNS + extra
    for row in query.order_by("id").values(*COLUMNS, "attributes").iterator(chunk_size=CHUNK):
        attributes = row.pop("attributes")
        yield [row[c] for c in COLUMNS] + [cell(attributes.get(k)) for k in extra]


def json_rows(query: QuerySet[Contact]) -> Iterator[dict[str, Any]]:
    yield from query.order_by("id").values(*COLUMNS, "attributes").iterator(chunk_size=CHUNK)


def cell(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
