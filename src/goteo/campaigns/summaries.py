"""Read-only summaries of campaigns and deliveries, shared by the CLI, the API and the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from goteo.campaigns.models import Campaign, Delivery

DELIVERY_FIELDS = (
    "id", "status", "to_address", "contact__email", "campaign__key", "step_id", "locale",
    "subject", "message_id", "attempts", "sent_at", "last_error",
)  # fmt: skip


def recent_deliveries(limit: int, status: str | None = None) -> list[dict[str, Any]]:
    """The newest deliveries first."""
    query = Delivery.objects.order_by("-id")
    if status:
        query = query.filter(status=status)
    return list(query.values(*DELIVERY_FIELDS)[:limit])


def campaign_rows() -> list[dict[str, Any]]:
    """Every campaign with its status, current version, trigger and enrollment counts."""
    query = (
        Campaign.objects.select_related("current_version")
        .annotate(
            total=Count("enrollments"),
            active=Count("enrollments", filter=Q(enrollments__status="active")),
        )
        .order_by("key")
    )
    return [
        {
            "key": c.key,
            "name": c.name,
            "status": c.status,
            "status_reason": c.status_reason,
            "version": c.current_version.number if c.current_version else None,
            "trigger": {"kind": c.trigger_kind, "value": c.trigger_value or None},
            "active": c.active,
            "enrolled": c.total,
        }
        for c in query
    ]
