"""Downloads and data rights: the contacts as CSV (streamed, formula-like cells neutralised),
one contact's data export as JSON, and erasing a contact (confirmed; admins and editors)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.urls import reverse

from goteo.actions.contact_export import csv_rows
from goteo.actions.contact_list import matching
from goteo.actions.errors import ActionError
from goteo.actions.gdpr import do_erase_contact, do_export_contact
from goteo.campaigns import journey_clock
from goteo.console.access import edit, page
from goteo.console.rendering import show
from goteo.contacts.csv_cells import CsvWriter
from goteo.contacts.models import Contact


def _lines(query: QuerySet[Contact]) -> Iterator[str]:
    """CSV text, a row at a time, through the writer every export uses."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    for cells in csv_rows(query):
        writer.writerow(cells)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


@page
def contacts_csv(request: HttpRequest) -> HttpResponseBase:
    """The contacts the list shows (its search and condition), every page of them."""
    try:
        where, search = request.GET.get("where", ""), request.GET.get("q", "")
        query = matching(where, search, journey_clock.now())
    except ActionError as exc:
        text = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(_lines(query), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="goteo-contacts.csv"'
    return response


def _email(contact_id: int) -> str:
    email = Contact.objects.filter(id=contact_id).values_list("email", flat=True).first()
    if email is None:
        raise Http404("no such contact")
    return str(email)


@page
def contact_export(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Everything stored about the contact (``goteo contacts export-data``), as a download."""
    data: dict[str, Any] = do_export_contact(_email(contact_id))
    text = json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="goteo-contact-{contact_id}.json"'
    return response


def erase(request: HttpRequest, contact_id: int) -> HttpResponseBase:
    if request.method == "POST":
        return _erase(request, contact_id)
    return _confirm(request, contact_id)


@page
def _confirm(request: HttpRequest, contact_id: int) -> HttpResponse:
    context = {"email": _email(contact_id), "contact_id": contact_id}
    return show(request, "console/contact_erase.html", context, section="contacts")


@edit
def _erase(request: HttpRequest, contact_id: int) -> HttpResponse:
    email = _email(contact_id)
    if request.POST.get("confirm", "").strip().lower() != email:
        context = {"email": email, "contact_id": contact_id, "error": True}
        return show(request, "console/contact_erase.html", context, section="contacts", status=400)
    do_erase_contact(email)
    return HttpResponseRedirect(reverse("console:contacts") + "?erased=1")
