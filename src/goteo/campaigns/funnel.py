"""The funnel per campaign: contacts enrolled, sent a message, who opened, clicked and converted.

Each stage counts distinct contacts, with the same rules as the campaign report (a click
proves an open; a conversion is one credited to the campaign). One grouped query per table
for every campaign at once. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from goteo.campaigns.models import Campaign, Conversion, Delivery, Enrollment
from goteo.campaigns.reports import CLICKED, OPENED, SENT

STAGES = ("enrolled", "sent", "opened", "clicked", "converted")


@dataclass(frozen=True)
class Funnel:
    key: str
    name: str
    enrolled: int
    sent: int
    opened: int
    clicked: int
    converted: int

    def stages(self) -> list[tuple[str, int]]:
        return [(stage, getattr(self, stage)) for stage in STAGES]


def funnels(campaign_id: int | None = None) -> list[Funnel]:
    """Every campaign's funnel (or one campaign's), by key."""
    campaigns = Campaign.objects.order_by("key")
    if campaign_id is not None:
        campaigns = campaigns.filter(id=campaign_id)
    scope = {"campaign_id__in": campaigns.values("id")}
    enrolled = _contacts(Enrollment.objects.filter(**scope))
    reached = {
        r["campaign_id"]: r
        for r in Delivery.objects.filter(**scope)
        .values("campaign_id")
        .annotate(
            sent=Count("contact_id", filter=SENT, distinct=True),
            opened=Count("contact_id", filter=OPENED, distinct=True),
            clicked=Count("contact_id", filter=CLICKED, distinct=True),
        )
        .order_by()
    }
    converted = _contacts(Conversion.objects.filter(**scope))
    empty = {"sent": 0, "opened": 0, "clicked": 0}
    return [
        Funnel(
            key,
            name,
            enrolled.get(cid, 0),
            reached.get(cid, empty)["sent"],
            reached.get(cid, empty)["opened"],
            reached.get(cid, empty)["clicked"],
            converted.get(cid, 0),
        )
        for cid, key, name in campaigns.values_list("id", "key", "name")
    ]


def _contacts(rows: Any) -> dict[int, int]:
    """Distinct contacts per campaign."""
    grouped = rows.values("campaign_id").annotate(n=Count("contact_id", distinct=True))
    return dict(grouped.order_by().values_list("campaign_id", "n"))
