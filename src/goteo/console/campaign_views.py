"""Campaigns: the list, one campaign (status, versions, per-step figures, the test-send form),
pause and resume, and picking a split's winner by hand.

Pause and resume are POST forms calling the same action as ``goteo campaign pause``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from goteo.actions.campaigns import do_set_campaign_status
from goteo.actions.errors import ActionError
from goteo.actions.split_winners import do_pick_winner
from goteo.campaigns import journey_clock
from goteo.campaigns.journeys import ended_per_reason
from goteo.campaigns.models import Campaign, CampaignStatus
from goteo.campaigns.reports import NoSuchCampaign, campaign_figures, find_campaign
from goteo.campaigns.split_rule import split_section
from goteo.campaigns.summaries import campaign_rows
from goteo.campaigns.versions import campaign_for_version
from goteo.console.access import edit, page
from goteo.console.flow_diagram import flow_context
from goteo.console.rendering import show
from goteo.console.test_send_form import test_form

REASON_MAX = 200


@page
def campaigns(request: HttpRequest) -> HttpResponse:
    return show(request, "console/campaigns.html", {"rows": campaign_rows()}, section="campaigns")


@page
def campaign(request: HttpRequest, key: str) -> HttpResponse:
    tested = request.GET.get("tested", "")
    return campaign_page(request, key, {"tested": int(tested) if tested.isdigit() else 0})


def campaign_page(
    request: HttpRequest, key: str, extra: dict[str, Any], status: int = 200
) -> HttpResponse:
    """The campaign page, with ``extra`` (the test-send form's values and errors)."""
    try:
        row = find_campaign(key)
    except NoSuchCampaign:
        raise Http404(key) from None
    # The figures the page shows (the report's, without its groups, exposures and pacing),
    # and the split's rule and decision.
    report = campaign_figures(row) | {"split": split_section(row, journey_clock.now())}
    versions = list(row.versions.order_by("-number").values("number", "checksum", "created_at"))
    flow: dict[str, Any] = {"steps": []}
    if row.current_version is not None:
        # A stored version was checked when applied; it is parsed once, then cached.
        current = row.current_version
        definition = campaign_for_version(current.id, current.checksum)
        flow = flow_context(row, definition, report) | {"definition": definition}
    context = {
        "campaign": row,
        "report": report,
        "versions": versions,
        "ended": ended_per_reason(row),
        "test": test_form(row, flow.get("definition")),
    } | flow
    context = context | extra
    return show(request, "console/campaign.html", context, section="campaigns", status=status)


@edit
def set_status(request: HttpRequest, key: str) -> HttpResponse:
    wanted = request.POST.get("status", "")
    if wanted not in CampaignStatus.values:
        return HttpResponse("status: use active or paused", status=400)
    reason = request.POST.get("reason", "").strip()[:REASON_MAX]
    if wanted == CampaignStatus.PAUSED and not reason:
        reason = f"paused by {request.user.get_username()}"
    try:
        do_set_campaign_status(key, wanted, reason if wanted == CampaignStatus.PAUSED else "")
    except ActionError:
        raise Http404(key) from None
    return HttpResponseRedirect(reverse("console:campaign", args=[key]))


@edit
def pick_winner(request: HttpRequest, key: str) -> HttpResponse:
    """Decide the campaign's split for the chosen variant (once: a decided split stays)."""
    variant = request.POST.get("variant", "").strip()
    if not Campaign.objects.filter(key=key).exists():
        raise Http404(key)
    try:
        do_pick_winner(key, variant, journey_clock.now())
    except ActionError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    if request.POST.get("back") == "results":
        return HttpResponseRedirect(f"{reverse('console:results')}?campaign={quote(key)}")
    return HttpResponseRedirect(reverse("console:campaign", args=[key]))
