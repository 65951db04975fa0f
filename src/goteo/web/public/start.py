"""``/``: a small start page saying what this server is, with links to what it serves."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET


def _version() -> str:
    try:
        return version("goteo")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return ""


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Sets no cookie and needs none, like every public page."""
    links = [
        (reverse("health"), "Health check", "whether this server and its database answer"),
        (reverse("ninja:openapi_json"), "API document", "the REST API, as an OpenAPI 3 document"),
    ]
    if settings.GOTEO_OUTBOX_PAGE:
        links.append((reverse("outbox"), "Outbox", "the latest deliveries and caught messages"))
    context = {"version": _version(), "links": links}
    return render(request, "goteo/start.html", context)
