"""CSV import: good rows go in (upserted by email), bad rows are reported with their line.

A row repeating an earlier row's address (in any case) is reported with both lines; its values
win, and the cells it leaves empty keep the earlier row's.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO

from django.db import transaction
from django.utils import timezone

from goteo.actions.contacts import apply_input
from goteo.actions.errors import ActionError
from goteo.contacts.csv_cells import restore
from goteo.contacts.fields import ContactInput, check_contact
from goteo.contacts.models import Contact

BATCH = 500
UPDATABLE = [
    "first_name", "last_name", "locale", "timezone", "phone", "attributes", "postal_address",
    "updated_at",
]  # fmt: skip


@dataclass(frozen=True)
class Repeat:
    """A row whose address an earlier row of the file already had."""

    line: int
    first_line: int
    email: str

    @property
    def message(self) -> str:
        return f"repeats line {self.first_line} ({self.email}); the later row was used"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    repeats: list[Repeat] = field(default_factory=list)  # rows merged into an earlier one
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


SKIP = ""  # a column mapped to this is not read


def mapped_names(names: list[str], columns: Mapping[str, str] | None) -> list[str]:
    """The header as the importer reads it: each column renamed as ``columns`` says (a name
    it does not mention keeps its own; one mapped to ``SKIP`` is left out)."""
    if columns is None:
        return names
    unknown = sorted(set(columns) - set(names))
    if unknown:
        raise ActionError("bad columns", {"columns": f"not in the header: {', '.join(unknown)}"})
    renamed = [columns.get(n, n).strip() for n in names]
    taken = [n for n in renamed if n != SKIP]
    twice = sorted({n for n in taken if taken.count(n) > 1})
    if twice:
        raise ActionError("bad columns", {"columns": f"read twice: {', '.join(twice)}"})
    return renamed


def _rows(
    stream: IO[str], raw: bool, columns: Mapping[str, str] | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    lines = _Lines(stream)
    reader = csv.DictReader(lines)
    if reader.fieldnames is None:
        raise ActionError("empty file", {"file": "the CSV has no header row"})
    names = mapped_names([(n or "").strip() for n in reader.fieldnames], columns)
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
        cells = {k: v.strip() for k, v in row.items() if k != SKIP and v is not None and v.strip()}
        yield start, cells if raw else {k: restore(v) for k, v in cells.items()}


def do_import_csv(
    stream: IO[str],
    progress: Callable[[int], None] | None = None,
    *,
    raw: bool = False,
    columns: Mapping[str, str] | None = None,
) -> ImportReport:
    """Import contacts from CSV text; each batch of rows is one transaction.

    A cell neutralised by an export (``'=1``) is read as the value it stands for (``=1``);
    with ``raw``, every cell is taken as it is (for files written with ``--raw``). ``columns``
    renames header columns (``{"E-mail": "email", "Notes": ""}``: ``""`` skips one).
    """
    report = ImportReport()
    batch: dict[str, ContactInput] = {}
    first_lines: dict[str, int] = {}  # address -> the line it first appeared on
    again: set[str] = set()  # addresses of the batch stored by an earlier batch: not counted
    for line, row in _rows(stream, raw, columns):
        if "__error__" in row:
            report.errors.append((line, row["__error__"]))
        else:
            checked, errors = check_contact(row)
            if checked is None:
                report.errors.append((line, "; ".join(f"{k}: {v}" for k, v in errors.items())))
            elif checked.email in first_lines:
                report.repeats.append(Repeat(line, first_lines[checked.email], checked.email))
                if checked.email in batch:
                    _merge(batch[checked.email], checked)
                else:  # the earlier row is stored already: this one updates it
                    batch[checked.email] = checked
                    again.add(checked.email)
            else:
                first_lines[checked.email] = line
                batch[checked.email] = checked
        if len(batch) >= BATCH:
            _flush(batch, report, again)
        if progress is not None:
            progress(1)
    _flush(batch, report, again)
    return report


def _merge(into: ContactInput, later: ContactInput) -> None:
    into.fields.update(later.fields)
    into.attributes.update(later.attributes)
    if later.postal_address is not None:
        into.postal_address = later.postal_address


def _flush(batch: dict[str, ContactInput], report: ImportReport, again: set[str]) -> None:
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
            elif email not in again:
                report.unchanged += 1
        Contact.objects.bulk_create(new, batch_size=BATCH)
        now = timezone.now()
        for contact in changed:
            contact.updated_at = now  # bulk_update does not apply auto_now
        Contact.objects.bulk_update(changed, UPDATABLE, batch_size=BATCH)
    report.created += len(new)
    report.updated += sum(1 for c in changed if c.email not in again)  # counted once, before
    report.emails.extend(e for e in batch if e not in again)
    batch.clear()
    again.clear()
