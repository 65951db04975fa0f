"""Reading the audit log: newest first, filtered by actor, action or target. Read-only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

from django.db.models import Q, QuerySet

from goteo.accounts.models import AuditEntry
from goteo.contacts.csv_cells import CsvWriter

CSV_HEADERS = ("at", "actor", "action", "target", "before", "after")


def entries(query: str = "") -> QuerySet[AuditEntry]:
    """Every entry, newest first; ``query`` keeps those whose actor, action or target
    contains it."""
    rows = AuditEntry.objects.order_by("-at", "-id")
    text = query.strip()
    if text:
        rows = rows.filter(
            Q(actor__icontains=text) | Q(action__icontains=text) | Q(target__icontains=text)
        )
    return rows


def write_csv(rows: QuerySet[AuditEntry], stream: IO[str]) -> None:
    """The entries as CSV, through the one writer that neutralises formula-looking cells."""
    writer = CsvWriter(stream)
    writer.writerow(CSV_HEADERS)
    for row in _each(rows):
        writer.writerow(
            [row.at.isoformat(), row.actor, row.action, row.target, json_text(row.before),
             json_text(row.after)]
        )  # fmt: skip


def _each(rows: QuerySet[AuditEntry]) -> Iterator[AuditEntry]:
    return rows.iterator(chunk_size=2000)


def json_text(value: object) -> str:
    """Before and after values as they are shown and exported: JSON, keys sorted."""
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
