"""Importing a CSV in the web app: upload, choose the columns, watch the progress bar, read the
report. Runs ``goteo.actions.import_jobs`` (the CLI's importer underneath) in a thread of the
web process, so the import goes on after the upload's request has ended; the page polls it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from goteo.actions.errors import ActionError
from goteo.actions.import_jobs import (
    do_start_import,
    do_upload_import,
    interrupted,
    preview,
    run_import,
)
from goteo.console.access import edit, page
from goteo.console.rendering import show
from goteo.contacts.column_guess import FIELDS, slug
from goteo.contacts.models import ContactImport


def upload(request: HttpRequest) -> HttpResponseBase:
    return _upload(request) if request.method == "POST" else _upload_form(request)


@page
def _upload_form(request: HttpRequest) -> HttpResponse:
    return show(request, "console/import_upload.html", {}, section="contacts")


@edit
def _upload(request: HttpRequest) -> HttpResponse:
    sent = request.FILES.get("file")
    if sent is None:
        context = {"error": "file: choose a CSV file"}
        return show(request, "console/import_upload.html", context, section="contacts", status=400)
    try:
        job = do_upload_import(sent.chunks(), sent.name or "contacts.csv")
    except ActionError as exc:
        context = {"error": _problems(exc)}
        return show(request, "console/import_upload.html", context, section="contacts", status=400)
    return HttpResponseRedirect(reverse("console:contacts-import-job", args=[job.id]))


def job(request: HttpRequest, job_id: int) -> HttpResponseBase:
    return _start(request, job_id) if request.method == "POST" else _job_page(request, job_id)


def _job(job_id: int) -> ContactImport:
    found = ContactImport.objects.filter(id=job_id).first()
    if found is None:
        raise Http404("no such import")
    return found


def _choices(headers: list[str]) -> list[tuple[str, str]]:
    """What a column may be read as: a field, an attribute named after it, or nothing."""
    own = [slug(h) for h in headers]
    fields = [(f, f) for f in FIELDS]
    return fields + [
        (n, _("attribute %(name)s") % {"name": n}) for n in own if n and n not in FIELDS
    ]


def _mapping(found: ContactImport, chosen: dict[str, str]) -> dict[str, object]:
    """Each column with its header, what it is read as and its first values."""
    rows = preview(Path(found.path))
    samples = [[r[i] if i < len(r) else "" for r in rows[1:]] for i in range(len(found.headers))]
    return {
        "job": found,
        "columns": [(i, h, chosen.get(h, ""), samples[i]) for i, h in enumerate(found.headers)],
        "choices": _choices(found.headers),
    }


@page
def _job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    found = _job(job_id)
    if found.status == "mapping":
        context = _mapping(found, found.columns)
        return show(request, "console/import_mapping.html", context, section="contacts")
    context = _progress(found)
    return show(request, "console/import_progress.html", context, section="contacts")


def _progress(found: ContactImport) -> dict[str, object]:
    total = max(found.total, found.done, 1)
    percent = 100 if found.status == "done" else min(99, found.done * 100 // total)
    return {"job": found, "percent": percent, "interrupted": interrupted(found)}


@page
def progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress panel alone: what the import page's poll swaps in."""
    return render(request, "console/import_status.html", _progress(_job(job_id)))


@edit
def _start(request: HttpRequest, job_id: int) -> HttpResponse:
    found = _job(job_id)
    columns = {h: request.POST.get(f"column-{i}", "") for i, h in enumerate(found.headers)}
    try:
        started = do_start_import(found.id, columns)
    except ActionError as exc:
        if found.status != "mapping":  # started already (twice posted): show its progress
            return HttpResponseRedirect(reverse("console:contacts-import-job", args=[found.id]))
        context = _mapping(found, columns) | {"error": _problems(exc)}
        return show(request, "console/import_mapping.html", context, section="contacts", status=400)
    thread = threading.Thread(target=_run, args=(started.id,), name=f"import-{started.id}")
    thread.daemon = True
    thread.start()
    return HttpResponseRedirect(reverse("console:contacts-import-job", args=[started.id]))


def _run(job_id: int) -> None:
    try:
        run_import(job_id)
    finally:
        connection.close()  # this thread's own connection


def _problems(exc: ActionError) -> str:
    return "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
