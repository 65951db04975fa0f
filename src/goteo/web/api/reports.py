"""``GET /api/v1/reports/campaigns/{key}`` and ``GET /api/v1/conversions`` (docs/measurement.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, JsonResponse
from ninja import Field, Query, Schema

from goteo.campaigns.reports import NoSuchCampaign, campaign_report, conversion_rows
from goteo.web.api.errors import error
from goteo.web.api.ninja_api import Closed, operation
from goteo.web.api.params import Since, whole_number_in

MAX_LIMIT = 1000


class Standing(Closed):
    """How a paced journey stands (docs/exposure-pacing.md#reports)."""

    target: str = Field(examples=["29 exposures within 90d (email, mail, sms)"])
    began_at: datetime
    ends_at: datetime
    expected: float = Field(description="Exposures an even pace has reached by now")
    actual: int = Field(description="Exposures counted as the plan counts them")
    status: Literal["on pace", "ahead", "behind"]
    touches: dict[str, int]


class ListedJourney(Standing):
    contact_id: int
    email: str


class CampaignPacing(Closed):
    journeys: int
    on_pace: int
    ahead: int
    behind: int
    listed: list[ListedJourney] = Field(
        description="At most 100 journeys, the furthest behind first"
    )


class StepFigures(Closed):
    step_id: str
    sent: int
    opened: int
    clicked: int
    conversions: int
    revenue: dict[str, str]
    suppressed: dict[str, int] = Field(
        description="Messages not sent, by reason (skipped: no postal address, …)"
    )


class StepExposures(Closed):
    step_id: str
    channel: str
    exposures: int


class Audience(Closed):
    posts: int
    reach: int


class ReportExposures(Closed):
    """From the exposure ledger (docs/measurement.md)."""

    total: int
    contacts: int
    distribution: dict[str, int]
    mean: float
    by_channel: dict[str, int]
    by_kind: dict[str, int]
    steps: list[StepExposures]
    audience: Audience


class Goal(Closed):
    """What the variants are measured against; declared is false when the campaign has no
    goal and the conversion events within 30 days count."""

    events: list[str]
    within: str = Field(examples=["30d", "2w", "1d12h"])
    declared: bool


class SplitDecisionOut(Closed):
    step_id: str
    variant: str
    decided_at: datetime
    decided_by: str
    metric: Literal["converted", "clicked", "opened", "hand"]
    p_value: float | None
    confidence: float | None
    figures: list[dict[str, Any]]
    reason: str


class SplitSection(Closed):
    """The campaign's first split (docs/flows.md): its auto-winner rule, what an undecided
    rule waits for, and the decision once made."""

    step_id: str
    variants: list[str]
    rule: str | None
    standing: str | None
    decision: SplitDecisionOut | None


class Postage(Closed):
    """What the campaign's mailers cost against its postage budget
    (docs/direct-mail.md#the-postage-budget), amounts as text in the currency's minor unit."""

    budget: str | None = Field(examples=["500.00"])
    currency: str | None = Field(examples=["EUR"])
    spent: str = Field(description="the mailers recorded sent")
    mailers: int = Field(description="how many were sent")
    in_flight: str = Field(description="mailers handed to the provider, not yet recorded")
    in_flight_mailers: int
    remaining: str | None = Field(examples=["1.80"])


class CampaignReport(Closed):
    campaign: dict[str, Any]
    goal: Goal
    enrolled: int
    contacts_sent: int
    messages_sent: int
    opened: int
    clicked: int
    conversions: int
    revenue: dict[str, str]
    steps: list[StepFigures]
    postage: Postage | None = Field(
        description="null for a campaign with no budget whose mailers cost nothing"
    )
    variants: list[dict[str, Any]]
    exposures: ReportExposures
    split: SplitSection | None = Field(
        description="The campaign's first split and its auto-winner rule (docs/flows.md); "
        "null without a split"
    )
    pacing: CampaignPacing | None = Field(
        description="A paced campaign's journeys on pace, ahead or behind its target "
        "(docs/exposure-pacing.md); null for a campaign without pacing"
    )


class ConversionsQuery(Schema):
    campaign: str = Field("", description="Only those credited to this campaign")
    since: Since = Field(None, description="Only those at or after this moment")
    limit: whole_number_in(1, MAX_LIMIT) = Field(  # type: ignore[valid-type]
        100, description=f"At most this many (1-{MAX_LIMIT}, default 100)"
    )


class Conversion(Closed):
    event_id: int
    name: str
    value: str | None = Field(description="The amount, as text (12.50); null without one")
    currency: str
    campaign: str | None = Field(description="The campaign credited; null: none")
    step_id: str
    touch: str
    coupon_code: str
    occurred_at: datetime
    email: str


class Conversions(Closed):
    conversions: list[Conversion]


@operation(
    "get",
    "/reports/campaigns/{key}",
    "reports:read",
    {200: CampaignReport},
    "A campaign's report: reach, engagement, conversions, revenue, lift, exposures",
    "reports",
    errors=(404,),
)
def campaign(request: HttpRequest, key: str) -> Any:
    try:
        return JsonResponse(campaign_report(key))
    except NoSuchCampaign:
        return error(404, "no such campaign", {"campaign": f"{key!r} does not exist"})


@operation(
    "get",
    "/conversions",
    "conversions:read",
    {200: Conversions},
    "Conversions, newest first, with the touch each is credited to",
    "reports",
    errors=(400,),
)
def conversions(request: HttpRequest, query: Query[ConversionsQuery]) -> Any:
    rows = conversion_rows(query.campaign.strip() or None, query.since, query.limit)
    return JsonResponse({"conversions": rows})
