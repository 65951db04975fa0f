"""Where a campaign's journeys in flight stand: active enrollments per step. Read-only."""

from __future__ import annotations

from django.db.models import Count

from goteo.campaigns.models import Campaign, Enrollment, EnrollmentStatus


def waiting_per_step(campaign: Campaign) -> dict[str, int]:
    """Active journeys by the step they are at (waiting there, or due to run it)."""
    rows = (
        Enrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.ACTIVE)
        .values("state__position")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {str(r["state__position"]): r["n"] for r in rows if r["state__position"] is not None}


def ended_per_reason(campaign: Campaign) -> dict[str, int]:
    """Journeys that ended, by how: completed, exited or converted."""
    rows = (
        Enrollment.objects.filter(campaign=campaign)
        .exclude(status=EnrollmentStatus.ACTIVE)
        .values("status")
        .annotate(n=Count("*"))
        .order_by("status")
    )
    return {r["status"]: r["n"] for r in rows}
