"""Whether paced journeys are on pace, ahead or behind (docs/exposure-pacing.md#reports).

Expected exposures by now (an even pace from when the journey reached its touch step) against
the exposures counted as the plan counts them. Shared by ``goteo report``, ``goteo contacts
show`` and the API's campaign report; nothing here writes.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from goteo.campaigns.models import Campaign, CampaignVersion, Enrollment
from goteo.campaigns.pace_facts import PacedJourney, load_pace_facts
from goteo.campaigns.versions import campaign_for_version
from goteo.engine.exposure_pacing import AHEAD, BEHIND, ON_PACE, ExposurePacing, standing
from goteo.engine.problems import CampaignInvalid
from goteo.engine.state import EnrollmentState
from goteo.engine.steps import TouchStep

LISTED = 100  # the campaign report lists this many journeys, the furthest behind first
FIELDS = ("id", "contact_id", "contact__email", "campaign__key", "version_id", "state")


def _standings(rows: QuerySet[Enrollment], now: datetime) -> list[dict[str, Any]]:
    """One standing per paced journey that reached its touch step."""
    found: list[tuple[dict[str, Any], ExposurePacing, PacedJourney, EnrollmentState]] = []
    # Only journeys that reached a touch step carry its start: the others are never read.
    paced = rows.filter(state__has_key="touches_began")
    for row in paced.values(*FIELDS, "version__checksum"):
        campaign = campaign_for_version(row["version_id"], row["version__checksum"])
        state = EnrollmentState.from_json(row["state"])
        pacing, began = campaign.pacing, state.touches_began
        if pacing is None or began is None:
            continue
        step = next(s for s in campaign.steps if isinstance(s, TouchStep))
        until = min(now, began + pacing.within)
        journey = PacedJourney(row["id"], row["contact_id"], began, step.id, until)
        found.append((row, pacing, journey, state))
    facts = load_pace_facts((j for _, _, j, _ in found), now)
    result = []
    for row, pacing, journey, state in found:
        counted = facts[journey.enrollment_id].counted
        where = standing(pacing, journey.began, now, counted)
        result.append(
            {
                "campaign": row["campaign__key"],
                "contact_id": row["contact_id"],
                "email": row["contact__email"],
                "target": str(pacing),
                "began_at": journey.began.isoformat(),
                "ends_at": (journey.began + pacing.within).isoformat(),
                "expected": where.expected,
                "actual": where.actual,
                "status": where.status,
                "touches": dict(state.touches),
            }
        )
    return result


def campaign_pacing(campaign: Campaign, now: datetime) -> dict[str, Any] | None:
    """How a paced campaign's journeys stand (None: its journeys are not paced)."""
    if not _has_paced_version(campaign):
        return None  # no journey of it can be paced: none of its journeys is read
    rows = Enrollment.objects.filter(campaign=campaign).order_by("id")
    standings = _standings(rows, now)
    if not standings:
        return None
    counts = Counter(s["status"] for s in standings)
    order = {BEHIND: 0, ON_PACE: 1, AHEAD: 2}
    listed = sorted(standings, key=lambda s: (order[s["status"]], s["actual"] - s["expected"]))
    return {
        "journeys": len(standings),
        "on_pace": counts[ON_PACE],
        "ahead": counts[AHEAD],
        "behind": counts[BEHIND],
        "listed": [{k: v for k, v in s.items() if k != "campaign"} for s in listed[:LISTED]],
    }


def _has_paced_version(campaign: Campaign) -> bool:
    """Whether any version of the campaign (each parsed once, cached) declares pacing, or
    might: a version that does not parse is left to the journeys' own reading."""
    versions = CampaignVersion.objects.filter(campaign=campaign).values_list("id", "checksum")
    for version_id, checksum in versions:
        try:
            if campaign_for_version(version_id, checksum).pacing is not None:
                return True
        except CampaignInvalid:
            return True
    return False


def contact_pacing(contact_id: int, now: datetime) -> list[dict[str, Any]]:
    """How each of a contact's paced journeys stands, in the order they began."""
    rows = Enrollment.objects.filter(contact_id=contact_id).order_by("id")
    return [
        {k: v for k, v in s.items() if k not in ("contact_id", "email")}
        for s in _standings(rows, now)
    ]
