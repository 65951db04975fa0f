"""Per variant of a campaign's first split: how many journeys drew it and how many of them
converted, clicked or opened, and when the first of them began. Read-only; one query.

Converted is the campaign's goal reached in time, as in the report; clicked and opened count
the journeys with a message of theirs clicked or opened (a click proves the open).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Exists, Min, OuterRef, Q

from goteo.campaigns.models import Campaign, Delivery, Enrollment
from goteo.campaigns.reports import CLICKED, OPENED, campaign_goal, variant_rows
from goteo.campaigns.winner_check import Tally


def variant_tallies(campaign: Campaign, metric: str) -> dict[str, Tally]:
    """Variant name -> its tally on ``metric`` (converted, clicked or opened)."""
    if metric == "converted":
        goal_events, within, _ = campaign_goal(campaign)
        rows = variant_rows(campaign, goal_events, within)
        return {r["variant"]: Tally(r["variant"], r["enrolled"], r["converted"]) for r in rows}
    engaged = OPENED if metric == "opened" else CLICKED
    if metric not in ("opened", "clicked"):
        raise ValueError(f"metric: {metric!r} (use converted, clicked or opened)")
    hit = Delivery.objects.filter(engaged, enrollment_id=OuterRef("id"))
    counted = (
        Enrollment.objects.filter(campaign=campaign)
        .exclude(variant="")
        .annotate(hit=Exists(hit))
        .values("variant")
        .annotate(journeys=Count("id"), successes=Count("id", filter=Q(hit=True)))
        .order_by("variant")
    )
    return {r["variant"]: Tally(r["variant"], r["journeys"], r["successes"]) for r in counted}


def first_journey_at(campaign: Campaign) -> datetime | None:
    """When the first journey that drew a variant began."""
    found: datetime | None = (
        Enrollment.objects.filter(campaign=campaign)
        .exclude(variant="")
        .aggregate(first=Min("enrolled_at"))["first"]
    )
    return found
