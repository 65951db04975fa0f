"""``GET /api/v1/leads/hot``: the leads handed over to sales (docs/lead-scoring.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Field, Query, Schema

from goteo.actions.scoring import hot_leads
from goteo.campaigns import journey_clock
from goteo.web.api.ninja_api import Closed, operation
from goteo.web.api.params import whole_number_in

MAX_LIMIT = 1000


class HotLeadsQuery(Schema):
    owner: str = Field("", description="Only the leads of this salesperson")
    limit: whole_number_in(1, MAX_LIMIT) = Field(  # type: ignore[valid-type]
        100, description=f"At most this many (1-{MAX_LIMIT}, default 100)"
    )


class HotLead(Closed):
    id: int
    email: str
    first_name: str
    last_name: str
    score: float = Field(description="The current (decayed) score")
    owner: str = Field(description="The salesperson's email; empty: nobody")
    hot_at: datetime
    last_activity: datetime | None = Field(description="When the lead's latest event happened")


class HotLeads(Closed):
    leads: list[HotLead]


@operation(
    "get",
    "/leads/hot",
    "leads:read",
    {200: HotLeads},
    "Hot leads: contacts whose score crossed the threshold, highest score first",
    "leads",
    errors=(400,),
)
def hot(request: HttpRequest, query: Query[HotLeadsQuery]) -> Any:
    owner = query.owner.strip() or None
    rows = hot_leads(journey_clock.now(), owner, query.limit)
    return JsonResponse({"leads": rows})
