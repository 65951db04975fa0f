"""Campaigns: the list, one campaign (status, versions, per-step figures), pause and resume.

Pause and resume are POST forms calling the same action as ``goteo campaign pause``.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from goteo.actions.campaigns import do_set_campaign_status
from goteo.actions.errors import ActionError
from goteo.campaigns.journeys import ended_per_reason, waiting_per_step
from goteo.campaigns.models import Campaign, CampaignStatus
from goteo.campaigns.reports import NoSuchCampaign, campaign_report
from goteo.campaigns.summaries import campaign_rows
from goteo.campaigns.versions import parse_checked
from goteo.console.access import edit, page
from goteo.console.rendering import show
from goteo.console.step_labels import step_label
from goteo.engine.steps import Step, TouchStep

REASON_MAX = 200


@page
def campaigns(request: HttpRequest) -> HttpResponse:
    return show(request, "console/campaigns.html", {"rows": campaign_rows()}, section="campaigns")


@page
def campaign(request: HttpRequest, key: str) -> HttpResponse:
    try:
        report = campaign_report(key)
    except NoSuchCampaign:
        raise Http404(key) from None
    row = Campaign.objects.select_related("current_version").get(key=key)
    versions = list(row.versions.order_by("-number").values("number", "checksum", "created_at"))
    steps = []
    if row.current_version is not None:
        definition = parse_checked(row.current_version.source)
        figures = {s["step_id"]: s for s in report["steps"]}
        waiting = waiting_per_step(row)
        steps = [
            {
                "id": s.id,
                "label": step_label(s),
                "waiting": waiting.get(s.id, 0),
                "figures": _figures(s, figures),
            }
            for s in definition.steps
        ]
    context = {
        "campaign": row,
        "report": report,
        "versions": versions,
        "steps": steps,
        "ended": ended_per_reason(row),
    }
    return show(request, "console/campaign.html", context, section="campaigns")


def _figures(step: Step, figures: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """A step's figures; a touch step's are those of all its touches (``<id>.<n>``)."""
    if not isinstance(step, TouchStep):
        return figures.get(step.id)
    touches = [f for key, f in figures.items() if key.startswith(f"{step.id}.")]
    if not touches:
        return None
    return {k: sum(f[k] for f in touches) for k in ("sent", "opened", "clicked", "conversions")}


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
