"""Read-only summaries of campaigns and deliveries, shared by the CLI, the API and the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from goteo.campaigns.models import Campaign, Delivery, Enrollment

DELIVERY_FIELDS = (
    "id", "status", "kind", "to_address", "contact__email", "campaign__key", "template",
    "step_id", "locale", "subject", "message_id", "attempts", "sent_at", "last_error",
    "channel", "receipt", "provider_message_id", "segments",
)  # fmt: skip
# What a delivery that belongs to no campaign is, by its kind.
_OWN_MESSAGES = {
    "notification": "lead hand-off",
    "webhook": "lead hand-off webhook",
    "test": "test send",
}
_TRANSACTIONAL = {"confirm": "confirmation"}


def recent_deliveries(
    limit: int, status: str | None = None, channel: str | None = None
) -> list[dict[str, Any]]:
    """The newest deliveries first, each with its ``source`` (see ``delivery_source``)."""
    query = Delivery.objects.order_by("-id")
    if status:
        query = query.filter(status=status)
    if channel:
        query = query.filter(channel=channel)
    return [
        row | {"source": delivery_source(row)} for row in query.values(*DELIVERY_FIELDS)[:limit]
    ]


def delivery_source(row: dict[str, Any]) -> str:
    """What sent it, for people: the campaign's key, or "confirmation" (double opt-in),
    "lead hand-off" (the owner's notification), "lead hand-off webhook" and "test send" (to a
    seed address)."""
    if row.get("campaign__key"):
        return str(row["campaign__key"])
    if row.get("kind") == "transactional":
        template = str(row.get("template") or "")
        return _TRANSACTIONAL.get(template, template or "transactional")
    return _OWN_MESSAGES.get(str(row.get("kind")), str(row.get("kind") or ""))


def campaign_rows() -> list[dict[str, Any]]:
    """Every campaign with its status, current version, trigger and enrollment counts.

    The journeys are counted in one grouped query of their own: grouping the campaigns joined
    to them would group by every selected column (a version's whole document among them);
    each count names a column of the (campaign, status) index, never null, so the index alone
    is read."""
    counts = {
        r["campaign_id"]: r
        for r in Enrollment.objects.values("campaign_id")
        .annotate(total=Count("*"), active=Count("status", filter=Q(status="active")))
        .order_by()
    }
    none = {"total": 0, "active": 0}
    query = Campaign.objects.order_by("key").values(
        "id", "key", "name", "status", "status_reason", "current_version__number",
        "trigger_kind", "trigger_value",
    )  # fmt: skip
    return [
        {
            "key": c["key"],
            "name": c["name"],
            "status": c["status"],
            "status_reason": c["status_reason"],
            "version": c["current_version__number"],
            "trigger": {"kind": c["trigger_kind"], "value": c["trigger_value"] or None},
            "active": counts.get(c["id"], none)["active"],
            "enrolled": counts.get(c["id"], none)["total"],
        }
        for c in query
    ]
