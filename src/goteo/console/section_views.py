"""The read-only page the navigation reaches besides the others: results, through the shared
read models."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from goteo.campaigns.summaries import campaign_rows
from goteo.console.access import page
from goteo.console.rendering import show


@page
def results(request: HttpRequest) -> HttpResponse:
    return show(request, "console/results.html", {"rows": campaign_rows()}, section="results")
