"""The audit log: who changed what, when, with the values before and after; and as CSV."""

from __future__ import annotations

import io

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse

from goteo.accounts.audit_log import entries, json_text, write_csv
from goteo.console.access import page
from goteo.console.rendering import show

PER_PAGE = 50


@page
def audit(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    paged = Paginator(entries(query), PER_PAGE).get_page(request.GET.get("page"))
    rows = [(e, json_text(e.before), json_text(e.after)) for e in paged]
    context = {"page": paged, "rows": rows, "q": query}
    return show(request, "console/audit.html", context, section="audit")


@page
def audit_csv(request: HttpRequest) -> HttpResponse:
    out = io.StringIO()
    write_csv(entries(request.GET.get("q", "")), out)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="goteo-audit.csv"'
    return response
