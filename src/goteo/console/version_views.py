"""A campaign's versions with the differences between each and the one before it."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from goteo.campaigns.models import Campaign
from goteo.campaigns.version_changes import versions_with_changes
from goteo.console.access import page
from goteo.console.rendering import show


@page
def versions(request: HttpRequest, key: str) -> HttpResponse:
    row = Campaign.objects.select_related("current_version").filter(key=key).first()
    if row is None:
        raise Http404(key)
    context = {"campaign": row, "versions": versions_with_changes(row)}
    return show(request, "console/versions.html", context, section="campaigns")
