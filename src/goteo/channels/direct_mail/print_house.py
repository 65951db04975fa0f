"""The print-house export: mailers spooled to a folder, then written out in batches.

``deliver`` spools one rendered mailer (its PDF and a small JSON record, each written to a
temporary name and renamed, so a crash never leaves half a file). Spooling the same delivery
again replaces its files with the same content: a retry never makes a second letter.

``export`` gathers the spooled mailers into one batch: ``batches/<batch id>/mailers.pdf``
(every mailer, in manifest order) and ``manifest.csv`` (one row per mailer: where its pages
start, how many, the recipient's address, its personal URL and the SHA-256 of its own PDF).
The batch id is derived from the delivery ids it holds, so exporting the same mailers again
names the same batch, and a batch folder appears whole (renamed into place) or not at all.
A mailer already in an earlier batch is never put in another one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pypdf

from goteo.channels.base import Delivered, Permanent, Result
from goteo.channels.direct_mail.formats import page_format
from goteo.channels.direct_mail.render import Mailer
from goteo.contacts.postal import MAX_LINES, PostalAddress, check_postal

MANIFEST = "manifest.csv"
MERGED = "mailers.pdf"
COLUMNS = (
    "batch_id",
    "sequence",
    "delivery_id",
    "format",
    "first_page",
    "pages",
    "name",
    *(f"line{i}" for i in range(1, MAX_LINES + 1)),
    "city",
    "postal_code",
    "region",
    "country",
    "url",
    "sha256",
)


@dataclass(frozen=True)
class Spooled:
    delivery_id: int
    format: str
    address: PostalAddress
    url: str
    pdf: Path


@dataclass(frozen=True)
class Batch:
    batch_id: str
    folder: Path
    delivery_ids: tuple[int, ...]
    pages: int
    created: bool  # False: this batch had been written before, and was left as it was


def batch_id_of(delivery_ids: Iterable[int]) -> str:
    """The stable id of the batch holding exactly these deliveries."""
    joined = ",".join(str(i) for i in sorted(set(delivery_ids)))
    return "b" + hashlib.sha256(joined.encode()).hexdigest()[:16]


class PrintHouse:
    """A print house that picks up PDFs and manifests from a folder (``folder:`` URLs)."""

    name = "print_house"
    capabilities = frozenset({"pdf", "batches", "idempotency_key"})

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.spool = folder / "spool"
        self.batches = folder / "batches"

    def deliver(self, mailer: Mailer) -> Result:
        """Spool one mailer for the next batch."""
        try:
            self.spool.mkdir(parents=True, exist_ok=True)
            record = {
                "delivery_id": mailer.delivery_id,
                "format": mailer.format.key,
                "address": mailer.address.as_dict(),
                "url": mailer.url,
            }
            _write(self.spool / f"{mailer.delivery_id}.pdf", mailer.pdf)
            _write(self.spool / f"{mailer.delivery_id}.json", json.dumps(record).encode())
        except OSError as exc:
            return Permanent(mailer.delivery_id, f"cannot write to the print folder: {exc}")
        return Delivered(mailer.delivery_id, "spooled for the next print batch")

    def spooled(self) -> list[Spooled]:
        """The mailers waiting for a batch, by delivery id."""
        found = []
        for record in sorted(self.spool.glob("*.json"), key=lambda p: int(p.stem)):
            data = json.loads(record.read_text())
            address, errors = check_postal(data["address"])
            if address is None:  # written by deliver from a checked address
                raise ValueError(f"{record}: bad address in the spool: {errors}")
            pdf = record.with_suffix(".pdf")
            found.append(Spooled(data["delivery_id"], data["format"], address, data["url"], pdf))
        return found

    def exported(self) -> set[int]:
        """Every delivery id already written into a batch."""
        ids: set[int] = set()
        for manifest in self.batches.glob(f"*/{MANIFEST}"):
            with manifest.open(newline="", encoding="utf-8") as stream:
                ids.update(int(row["delivery_id"]) for row in csv.DictReader(stream))
        return ids

    def first_page(self, delivery_id: int) -> tuple[Path, int] | None:
        """Where a mailer's first page is: its spooled PDF (page 0), else its page in the
        batch that holds it; None when this print house has no such mailer."""
        spooled = self.spool / f"{delivery_id}.pdf"
        if spooled.is_file():
            return spooled, 0
        for manifest in self.batches.glob(f"*/{MANIFEST}"):
            with manifest.open(newline="", encoding="utf-8") as stream:
                for row in csv.DictReader(stream):
                    if row["delivery_id"] == str(delivery_id):
                        return manifest.parent / MERGED, int(row["first_page"]) - 1
        return None

    def export(self) -> Batch | None:
        """Write every spooled mailer not yet in a batch into one new batch; None if none."""
        done, listed = self.exported(), self.spooled()
        waiting = [s for s in listed if s.delivery_id not in done]
        batch = self._write_batch(waiting) if waiting else None
        # Exported now or before: the spool is finished with them (and only them: a mailer
        # spooled while this batch was written waits for the next one).
        for item in listed:
            item.pdf.unlink(missing_ok=True)
            item.pdf.with_suffix(".json").unlink(missing_ok=True)
        return batch

    def _write_batch(self, items: Sequence[Spooled]) -> Batch:
        batch_id = batch_id_of(s.delivery_id for s in items)
        final = self.batches / batch_id
        ids = tuple(s.delivery_id for s in items)
        if (final / MANIFEST).exists():
            return Batch(batch_id, final, ids, _page_count(final / MERGED), created=False)
        temporary = self.batches / f".{batch_id}.{os.getpid()}.tmp"
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir(parents=True)
        writer, rows = pypdf.PdfWriter(), []
        for sequence, item in enumerate(items, start=1):
            data = item.pdf.read_bytes()
            first = len(writer.pages) + 1
            writer.append(pypdf.PdfReader(io.BytesIO(data)))
            rows.append(_row(batch_id, sequence, item, first, len(writer.pages) - first + 1, data))
        with (temporary / MERGED).open("wb") as stream:
            writer.write(stream)
        with (temporary / MANIFEST).open("w", newline="", encoding="utf-8") as stream:
            out = csv.DictWriter(stream, COLUMNS)
            out.writeheader()
            out.writerows(rows)
        try:
            temporary.rename(final)
        except OSError:  # written meanwhile by another export of the same mailers
            shutil.rmtree(temporary, ignore_errors=True)
            return Batch(batch_id, final, ids, _page_count(final / MERGED), created=False)
        return Batch(batch_id, final, ids, len(writer.pages), created=True)


def _row(
    batch_id: str, sequence: int, item: Spooled, first: int, pages: int, pdf: bytes
) -> dict[str, object]:
    lines = [*item.address.lines, *([""] * MAX_LINES)][:MAX_LINES]
    page_format(item.format)  # a spool written by another version: refuse unknown formats
    return {
        "batch_id": batch_id,
        "sequence": sequence,
        "delivery_id": item.delivery_id,
        "format": item.format,
        "first_page": first,
        "pages": pages,
        "name": item.address.name,
        **{f"line{i}": line for i, line in enumerate(lines, start=1)},
        "city": item.address.city,
        "postal_code": item.address.postal_code,
        "region": item.address.region,
        "country": item.address.country,
        "url": item.url,
        "sha256": hashlib.sha256(pdf).hexdigest(),
    }


def _page_count(path: Path) -> int:
    return len(pypdf.PdfReader(path).pages)


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    temporary.replace(path)
