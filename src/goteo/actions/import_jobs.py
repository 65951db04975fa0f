"""CSV imports started from the web app: upload, choose the columns, run, report progress.

The uploaded file is kept under ``GOTEO_DATA_DIR/imports/`` with a ``ContactImport`` row. Once
the columns are chosen, ``run_import`` reads it through the same ``do_import_csv`` as
``goteo contacts import``, writing how many rows it has read to the row as it goes; the page
polls the row. When it ends, the row holds the counts and every rejected or repeated row with
its line, the file is deleted, and one ``contact.import`` entry goes to the audit log.

An import whose progress has not moved for ``STALE`` was interrupted (its web process
stopped): importing the same file again is safe, as rows are upserted by address.
"""

from __future__ import annotations

import csv
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from goteo.actions.audit import acting_as, current_actor, record
from goteo.actions.errors import ActionError
from goteo.actions.importing import SKIP, ImportReport, do_import_csv, mapped_names
from goteo.contacts.column_guess import guess
from goteo.contacts.models import ContactImport

STALE = timedelta(minutes=2)
ABANDONED = timedelta(days=1)  # an upload whose columns were never chosen is deleted after
BEAT_SECONDS = 0.25  # progress is written at most this often (and at the end)
PREVIEW_ROWS = 3


def _folder() -> Path:
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def do_upload_import(chunks: Iterable[bytes], file_name: str) -> ContactImport:
    """Keep an uploaded CSV and read its header; ActionError naming ``file`` if unreadable.

    Uploads left without their columns chosen for ``ABANDONED`` are deleted first."""
    _forget_abandoned()
    path = _folder() / f"{uuid.uuid4().hex}.csv"
    lines, ended = 0, True
    with path.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
            lines += chunk.count(b"\n")
            ended = chunk.endswith(b"\n") if chunk else ended
    try:
        headers = preview(path, 0)[0]
    except ActionError:
        path.unlink()
        raise
    now = timezone.now()
    return ContactImport.objects.create(
        status="mapping", file_name=file_name[:255], path=str(path), headers=headers,
        columns=guess(headers), total=max(lines + (not ended) - 1, 0),
        actor=current_actor()[:200], started_at=now, beat_at=now,
    )  # fmt: skip


def _forget_abandoned() -> None:
    now = timezone.now()
    old = ContactImport.objects.filter(status="mapping", started_at__lt=now - ABANDONED)
    for path in old.values_list("path", flat=True):
        Path(path).unlink(missing_ok=True)
    old.update(status="failed", failure="the columns were never chosen", finished_at=now)


def preview(path: Path, rows: int = PREVIEW_ROWS) -> list[list[str]]:
    """The header and the first ``rows`` records of the file as they are."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.reader(stream)
            found = [row for _, row in zip(range(rows + 1), reader, strict=False)]
    except UnicodeDecodeError:
        raise ActionError("cannot read file", {"file": "not UTF-8 text"}) from None
    except csv.Error as exc:
        raise ActionError("cannot read file", {"file": str(exc)}) from None
    if not found or not any(cell.strip() for cell in found[0]):
        raise ActionError("empty file", {"file": "the CSV has no header row"})
    found[0] = [cell.strip() for cell in found[0]]
    return found


def do_start_import(job_id: int, columns: Mapping[str, str]) -> ContactImport:
    """Set the columns of an uploaded import and mark it running (``run_import`` runs it)."""
    with transaction.atomic():
        job = ContactImport.objects.select_for_update().filter(id=job_id).first()
        if job is None:
            raise ActionError("no such import", {"import": f"{job_id} is not an import"})
        if job.status != "mapping":
            raise ActionError("already started", {"import": f"this import is {job.status}"})
        chosen = {h: columns.get(h, SKIP).strip() for h in job.headers}
        if "email" not in mapped_names(list(job.headers), chosen):
            raise ActionError("no email column", {"columns": "choose the column holding email"})
        job.columns, job.status, job.beat_at = chosen, "running", timezone.now()
        job.save(update_fields=["columns", "status", "beat_at"])
    return job


def run_import(job_id: int) -> ContactImport:
    """Import a started job's file, writing its progress to its row; then its report."""
    job = ContactImport.objects.get(id=job_id)
    path = Path(job.path)
    done, written = 0, time.monotonic()

    def step(rows: int) -> None:
        nonlocal done, written
        done += rows
        if time.monotonic() - written >= BEAT_SECONDS:
            ContactImport.objects.filter(id=job_id).update(done=done, beat_at=timezone.now())
            written = time.monotonic()

    with acting_as(job.actor):
        try:
            with path.open(encoding="utf-8-sig", newline="") as stream:
                report = do_import_csv(stream, step, columns=job.columns)
        except (ActionError, UnicodeDecodeError, OSError) as exc:
            failure = f"{exc.message}: {exc.fields}" if isinstance(exc, ActionError) else str(exc)
            ContactImport.objects.filter(id=job_id).update(
                status="failed", failure=failure, done=done, finished_at=timezone.now()
            )
        else:
            _finish(job, report, done)
        finally:
            path.unlink(missing_ok=True)
    job.refresh_from_db()
    return job


def _finish(job: ContactImport, report: ImportReport, done: int) -> None:
    notes = [*report.errors, *((r.line, r.message) for r in report.repeats)]
    counts = {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": len(report.errors),
    }
    with transaction.atomic():
        ContactImport.objects.filter(id=job.id).update(
            status="done", done=done, total=done, errors=sorted(notes),
            finished_at=timezone.now(), beat_at=timezone.now(), **counts,
        )  # fmt: skip
        record("contact.import", job.file_name, None, counts | {"import": job.id})


def interrupted(job: ContactImport) -> bool:
    """A running import whose progress stopped moving: its web process is gone."""
    return job.status == "running" and timezone.now() - job.beat_at > STALE
