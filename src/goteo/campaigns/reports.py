"""Read-only campaign reports: reach, engagement, conversions, revenue, lift and exposures.

Shared by ``goteo report`` and ``GET /api/v1/reports/campaigns/<key>``. Every query filters on
the campaign; nothing here writes.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Q, Sum

from goteo.campaigns import journey_clock
from goteo.campaigns.exposure_counts import campaign_exposures
from goteo.campaigns.models import Campaign, Conversion, Delivery, DeliveryStatus, Enrollment
from goteo.campaigns.moment_sql import moment_plus
from goteo.campaigns.pace_report import campaign_pacing
from goteo.campaigns.postage_spend import postage_report
from goteo.campaigns.versions import campaign_for_version
from goteo.channels.direct_mail.prices import currency_of
from goteo.contacts.models import Event
from goteo.engine import yamlsource
from goteo.engine.durations import DurationError, format_duration, parse_duration
from goteo.engine.problems import CampaignInvalid

SENT = Q(status=DeliveryStatus.SENT)
# A click proves the message was opened even when the open pixel was blocked.
OPENED = SENT & (Q(opened_at__isnull=False) | Q(opens__gt=0) | Q(clicked_at__isnull=False))
CLICKED = SENT & (Q(clicked_at__isnull=False) | Q(clicks__gt=0))
DEFAULT_GOAL_WINDOW = "30d"


class NoSuchCampaign(LookupError):
    """The report names a campaign key that does not exist."""


def campaign_report(key: str, now: datetime | None = None) -> dict[str, Any]:
    """The whole report of one campaign (see docs/measurement.md for each number); paced
    journeys are judged at ``now`` (default: the journeys' clock)."""
    campaign = find_campaign(key)
    goal_events, within, declared = campaign_goal(campaign)
    # Imported here: the split's figures are counted with this module's helpers.
    from goteo.campaigns.split_rule import split_section

    now = now or journey_clock.now()
    return {
        "campaign": {
            "key": campaign.key,
            "name": campaign.name,
            "status": campaign.status,
            "status_reason": campaign.status_reason,
        },
        "goal": {
            "events": sorted(goal_events),
            "within": format_duration(within),
            "declared": declared,
        },
        **campaign_figures(campaign),
        "variants": variant_rows(campaign, goal_events, within),
        "exposures": campaign_exposures(campaign.id),
        "pacing": campaign_pacing(campaign, now),
        "split": split_section(campaign, now),
    }


def find_campaign(key: str) -> Campaign:
    """The campaign with this key, with its current version; NoSuchCampaign if none."""
    campaign = Campaign.objects.select_related("current_version").filter(key=key).first()
    if campaign is None:
        raise NoSuchCampaign(key)
    return campaign


def campaign_figures(campaign: Campaign) -> dict[str, Any]:
    """The report's reach, engagement, conversions, revenue and per-step figures (what the
    campaign's page shows), each read from an index on the campaign alone (rows are counted
    by a column of that index that is never null, so no row itself is read)."""
    totals = Delivery.objects.filter(campaign=campaign).aggregate(
        sent=Count("contact", filter=SENT, distinct=True),
        opened=Count("contact", filter=OPENED, distinct=True),
        clicked=Count("contact", filter=CLICKED, distinct=True),
        messages=Count("status", filter=SENT),
    )
    conversions = Conversion.objects.filter(campaign=campaign)
    return {
        "enrolled": Enrollment.objects.filter(campaign=campaign).count(),
        "contacts_sent": totals["sent"],
        "messages_sent": totals["messages"],
        "opened": totals["opened"],
        "clicked": totals["clicked"],
        "conversions": conversions.count(),
        "revenue": _revenue(conversions),
        "steps": _steps(campaign),
        "postage": _postage(campaign),
    }


def _postage(campaign: Campaign) -> dict[str, object] | None:
    """Budget, spent, in flight and remaining (docs/direct-mail.md#the-postage-budget)."""
    version, budget = campaign.current_version, None
    with contextlib.suppress(CampaignInvalid):  # stored before it was checked: no budget read
        budget = campaign_for_version(version.id, version.checksum).postage if version else None
    return postage_report(campaign.id, budget, currency_of(settings.GOTEO_MAIL_PRICES))


def campaign_goal(campaign: Campaign) -> tuple[frozenset[str], timedelta, bool]:
    """The goal of the current version: ``goal: {event: purchase, within: 30d}``, and whether
    the campaign declares it.

    Without one, the conversion events (``GOTEO_CONVERSION_EVENTS``) within 30 days count.
    """
    fallback = frozenset(getattr(settings, "GOTEO_CONVERSION_EVENTS", None) or ["purchase"])
    within = parse_duration(DEFAULT_GOAL_WINDOW)
    version = campaign.current_version
    goal = _declared_goal(version.id, version.checksum, version.source) if version else None
    if not isinstance(goal, dict):
        return fallback, within, False
    event = goal.get("event")
    names = [event] if isinstance(event, str) else event if isinstance(event, list) else []
    # A stored version was validated when applied; if not, the default window stands.
    with contextlib.suppress(DurationError):
        within = parse_duration(goal["within"]) if "within" in goal else within
    found = frozenset(n for n in names if isinstance(n, str))
    return found or fallback, within, True


def _declared_goal(version_id: int, source_checksum: str, source: str) -> Any:
    """The ``goal`` a stored version declares, parsed once per version (keyed by id and
    checksum, like the worker's campaigns, so a reused id never reads another's)."""
    key = (version_id, source_checksum)
    if key not in _GOALS:
        data = yamlsource.load(source).data
        _GOALS[key] = data.get("goal") if isinstance(data, dict) else None
    return _GOALS[key]


_GOALS: dict[tuple[int, str], Any] = {}


def _revenue(conversions: Any) -> dict[str, str]:
    rows = conversions.filter(value__isnull=False).values("currency").annotate(total=Sum("value"))
    return {r["currency"]: _money(r["total"]) for r in rows.order_by("currency")}


def _money(value: Decimal | None) -> str:
    return f"{Decimal(value or 0):.2f}"


def _steps(campaign: Campaign) -> list[dict[str, Any]]:
    """Per step that wrote a message or earned a conversion, in the order first written."""
    rows = (
        Delivery.objects.filter(campaign=campaign)
        .values("step_id")
        .annotate(
            sent=Count("status", filter=SENT),
            opened=Count("status", filter=OPENED),
            clicked=Count("status", filter=CLICKED),
            first=Min("created_at"),
        )
        .order_by("first", "step_id")
    )
    steps = {r["step_id"]: _step(r["step_id"], r["sent"], r["opened"], r["clicked"]) for r in rows}
    credited = (
        Conversion.objects.filter(campaign=campaign)
        .values("step_id", "currency")
        .annotate(n=Count("id"), total=Sum("value"))
        .order_by("step_id", "currency")
    )
    suppressed = (
        Delivery.objects.filter(campaign=campaign, status=DeliveryStatus.SUPPRESSED)
        .values("step_id", "last_error")
        .annotate(n=Count("id"))
        .order_by("step_id", "last_error")
    )
    for held in suppressed:  # not sent, and why: unsubscribed since, no postal address, …
        steps[held["step_id"]]["suppressed"][held["last_error"]] = held["n"]
    for row in credited:
        step = steps.setdefault(row["step_id"], _step(row["step_id"], 0, 0, 0))
        step["conversions"] += row["n"]
        if row["total"] is not None:
            step["revenue"][row["currency"]] = _money(row["total"])
    return list(steps.values())


def _step(step_id: str, sent: int, opened: int, clicked: int) -> dict[str, Any]:
    return {
        "step_id": step_id,
        "sent": sent,
        "opened": opened,
        "clicked": clicked,
        "conversions": 0,
        "revenue": {},
        "suppressed": {},  # reason -> messages not sent for it
    }


def variant_rows(
    campaign: Campaign, goal_events: frozenset[str], within: timedelta
) -> list[dict[str, Any]]:
    """Per A/B/n group (``holdout`` included): enrolled contacts who reached the goal in time,
    attributed or not. The holdout's rate against the others' is the campaign's lift.

    The journeys are read from their campaign's index alone, in contact order, and each
    looks for its goal event in the events' (contact, name, time) index: one probe of an
    index per journey, the deadline computed by the database."""
    reached = Event.objects.filter(
        contact_id=OuterRef("contact_id"),
        name__in=goal_events,
        occurred_at__gte=OuterRef("enrolled_at"),
        occurred_at__lte=moment_plus(OuterRef("enrolled_at"), within),
    )
    rows = (
        Enrollment.objects.filter(campaign=campaign)
        .annotate(reached=Exists(reached))
        .values("variant")
        .annotate(enrolled=Count("*"), converted=Count("contact", filter=Q(reached=True)))
        .order_by("variant")
    )
    return [
        {
            "variant": r["variant"],
            "enrolled": r["enrolled"],
            "converted": r["converted"],
            "conversion_rate": round(r["converted"] / r["enrolled"], 4) if r["enrolled"] else 0.0,
        }
        for r in rows
    ]


CONVERSION_FIELDS = (
    "event_id", "name", "value", "currency", "campaign__key", "step_id", "touch",
    "coupon_code", "occurred_at", "contact__email",
)  # fmt: skip


def conversion_rows(
    campaign: str | None, since: datetime | None, limit: int
) -> list[dict[str, Any]]:
    """Conversions, newest first: all, or those credited to ``campaign``, from ``since``."""
    query = Conversion.objects.order_by("-occurred_at", "-id")
    if campaign:
        query = query.filter(campaign__key=campaign)
    if since is not None:
        query = query.filter(occurred_at__gte=since)
    rows = list(query.values(*CONVERSION_FIELDS)[:limit])
    for row in rows:
        row["campaign"] = row.pop("campaign__key")
        row["email"] = row.pop("contact__email")
        row["value"] = None if row["value"] is None else _money(row["value"])
    return rows
