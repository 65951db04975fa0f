"""CSV import: good rows go in (upserted by email), bad rows are reported with their line."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from django.db import transaction
from django.utils import timezone

from goteo.actions.contacts import apply_input
from goteo.actions.errors import ActionError
from goteo.contacts.fields import ContactInput, check_contact
from goteo.contacts.models import Contact

BATCH = 500
UPDATABLE = [
    "first_name", "last_name", "locale", "timezone", "attributes", "postal_address", "updated_at"
]  # fmt: skip


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    emails: list[str] = field(default_factory=list)  # every imported address, in file order

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


class _Lines:
    """Feeds the CSV reader and remembers where each record starts (records may span lines)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.number = 0
        self.record_start = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self.stream)
        self.number += 1
        if self.record_start == 0 and line.strip():
            self.record_start = self.number
        return line

    def begin_record(self) -> None:
        self.record_start = 0


def _rows(stream: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    lines = _Lines(stream)
    reader = csv.DictReader(lines)
    if reader.fieldnames is None:
        raise ActionError("empty file", {"file": "the CSV has no header row"})
    names = [(n or "").strip() for n in reader.fieldnames]
    if "email" not in names:
        raise ActionError("no email column", {"header": f"columns are {', '.join(names)}"})
    reader.fieldnames = names
    while True:
        lines.begin_record()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield lines.record_start or lines.number, {"__error__": str(exc)}
            continue
        start = lines.record_start or reader.line_num
        if None in row:
            yield start, {"__error__": "more values than columns"}
            continue
        yield start, {k: v.strip() for k, v in row.items() if v is not None and v.strip()}


def do_import_csv(stream: IO[str], progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import contacts from CSV text; each batch of rows is one transaction."""
    report = ImportReport()
    batch: dict[str, ContactInput] = {}
    for line, row in _rows(stream):
        if "__error__" in row:
            report.errors.append((line, row["__error__"]))
        else:
            checked, errors = check_contact(row)
            if checked is None:
                report.errors.append((line, "; ".join(f"{k}: {v}" for k, v in errors.items())))
            elif checked.email in batch:
                _merge(batch[checked.email], checked)
            else:
                batch[checked.email] = checked
        if len(batch) >= BATCH:
            _flush(batch, report)
        if progress is not None:
            progress(1)
    _flush(batch, report)
    return report


def _merge(into: ContactInput, later: ContactInput) -> None:
    into.fields.update(later.fields)
    into.attributes.update(later.attributes)
    if later.postal_address is not None:
        into.postal_address = later.postal_address


def _flush(batch: dict[str, ContactInput], report: ImportReport) -> None:
    if not batch:
        return
    with transaction.atomic():
        existing = {c.email: c for c in Contact.objects.filter(email__in=list(batch))}
        new, changed = [], []
        for email, checked in batch.items():
            contact = existing.get(email)
            if contact is None:
                contact = Contact(email=email)
                apply_input(contact, checked)
                new.append(contact)
            elif apply_input(contact, checked):
                changed.append(contact)
            else:
                report.unchanged += 1
        Contact.objects.bulk_create(new, batch_size=BATCH)
        now = timezone.now()
        for contact in changed:
            contact.updated_at = now  # bulk_update does not apply auto_now
        Contact.objects.bulk_update(changed, UPDATABLE, batch_size=BATCH)
    report.created += len(new)
    report.updated += len(changed)
    report.emails.extend(batch)
    batch.clear()
