"""The read-only pages the navigation reaches besides the dashboard and campaigns: the
outbox, forms and results, each through the shared read models."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from goteo.campaigns.summaries import campaign_rows, recent_deliveries
from goteo.console.access import page
from goteo.console.rendering import show
from goteo.contacts.models import Form

OUTBOX_ROWS = 100


@page
def outbox(request: HttpRequest) -> HttpResponse:
    rows = recent_deliveries(OUTBOX_ROWS)
    return show(request, "console/outbox.html", {"rows": rows}, section="outbox")


@page
def forms(request: HttpRequest) -> HttpResponse:
    rows = Form.objects.order_by("key").values("key", "name", "locale", "double_opt_in")
    return show(request, "console/forms.html", {"rows": list(rows)}, section="forms")


@page
def results(request: HttpRequest) -> HttpResponse:
    return show(request, "console/results.html", {"rows": campaign_rows()}, section="results")
