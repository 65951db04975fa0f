"""Run the engine for claimed enrollments and write their effects in the same transaction."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction

from goteo.actions.campaigns import do_set_campaign_status
from goteo.actions.coupons import CouponPoolEmpty
from goteo.campaigns.models import Enrollment
from goteo.campaigns.outbox import enqueue
from goteo.campaigns.pace_facts import PacedJourney, load_pace_facts
from goteo.campaigns.split_decisions import winners_of
from goteo.campaigns.versions import campaign_for_version
from goteo.engine.advance import ContactView, advance
from goteo.engine.exposure_pacing import PaceFacts
from goteo.engine.model import Campaign, SendStep, TouchStep
from goteo.engine.needs import EventNeeds, event_needs
from goteo.engine.split_winners import first_split, with_winners
from goteo.engine.state import ACTIVE, EnrollmentState
from goteo.worker.claims import StepResult, release_enrollments, still_held
from goteo.worker.effects import Effects, Journey
from goteo.worker.facts import CONTACT_FIELDS, BatchFacts, load_events, needed_exposures
from goteo.worker.in_home import in_home_fact

ROW_FIELDS = (
    "id",
    "contact_id",
    "campaign_id",
    "version_id",
    "version__checksum",
    "state",
    "enrolled_at",
    *(f"contact__{name}" for name in CONTACT_FIELDS),
)

log = logging.getLogger(__name__)
# Keyed by version id and source checksum, as the campaigns are: an id alone can name another
# version once a rolled-back transaction gave it back.
_needs: dict[tuple[int, str], EventNeeds] = {}
_pools: dict[tuple[int, str], bool] = {}
_splits: dict[tuple[int, str], bool] = {}
_decided_campaigns: dict[tuple[tuple[int, str], tuple[tuple[str, str], ...]], Campaign] = {}


def _version(row: dict[str, Any]) -> tuple[int, str]:
    return row["version_id"], row["version__checksum"]


def _draws_from_pool(version: tuple[int, str], campaign: Campaign) -> bool:
    """Whether a send step of this version draws its coupon from a pool (which can run dry)."""
    found = _pools.get(version)
    if found is None:
        found = _pools[version] = any(
            isinstance(s, SendStep) and s.coupon is not None and bool(s.coupon.pool)
            for s in campaign.steps
        )
    return found


def _with_decisions(
    rows: list[dict[str, Any]], campaigns: dict[int, Campaign]
) -> dict[int, Campaign]:
    """The campaigns with their decided splits laid on: one query per batch, and none for a
    batch without a split."""
    split = {r["campaign_id"] for r in rows if _has_split(_version(r), campaigns[r["id"]])}
    winners = winners_of(split) if split else {}
    if not winners:
        return campaigns
    return {
        r["id"]: _decided(_version(r), campaigns[r["id"]], winners.get(r["campaign_id"], {}))
        for r in rows
    }


def _has_split(version: tuple[int, str], campaign: Campaign) -> bool:
    found = _splits.get(version)
    if found is None:
        found = _splits[version] = first_split(campaign) is not None
    return found


def _decided(version: tuple[int, str], campaign: Campaign, winners: dict[str, str]) -> Campaign:
    if not winners:
        return campaign
    key = (version, tuple(sorted(winners.items())))
    found = _decided_campaigns.get(key)
    if found is None:
        found = _decided_campaigns[key] = with_winners(campaign, winners)
    return found


def _needs_of(version: tuple[int, str], campaign: Campaign) -> EventNeeds:
    found = _needs.get(version)
    if found is None:
        found = _needs[version] = event_needs(campaign)
    return found


def run_enrollments(ids: list[int], owner: str, now: datetime) -> int:
    """Advance each claimed enrollment; returns how many deliveries were written."""
    effects = Effects()
    results: list[StepResult] = []
    with transaction.atomic():
        # Rows whose lease ran out and went to another worker are left alone: its run wins.
        held = still_held(ids, owner)
        rows = list(Enrollment.objects.filter(id__in=held).values(*ROW_FIELDS))
        campaigns = _with_decisions(
            rows,
            {r["id"]: campaign_for_version(r["version_id"], r["version__checksum"]) for r in rows},
        )
        events = load_events(
            (
                (r["contact_id"], _needs_of(_version(r), campaigns[r["id"]]), r["enrolled_at"])
                for r in rows
            ),
            now,
        )
        exposures = needed_exposures(
            ((r["contact_id"], _needs_of(_version(r), campaigns[r["id"]])) for r in rows), now
        )
        known = BatchFacts(events, exposures)
        paced = load_pace_facts(_paced(rows, campaigns, now), now)
        for row in rows:
            pace = paced.get(row["id"])
            results.append(_advance_guarded(row, campaigns[row["id"]], known, effects, now, pace))
        release_enrollments(owner, results)
        # The unique (enrollment, step) constraint is the last guard: a step never runs twice.
        enqueue(effects.deliveries, now)
    return len(effects.deliveries)


def _paced(
    rows: list[dict[str, Any]], campaigns: dict[int, Campaign], now: datetime
) -> list[PacedJourney]:
    """The journeys of paced campaigns that have not gone past their touch step."""
    found = []
    for row in rows:
        campaign = campaigns[row["id"]]
        if campaign.pacing is None:
            continue
        state = EnrollmentState.from_json(row["state"])
        step = next(s for s in campaign.steps if isinstance(s, TouchStep))
        if step.id in state.steps_run or state.status != ACTIVE:
            continue
        began = state.touches_began or now
        found.append(PacedJourney(row["id"], row["contact_id"], began, step.id))
    return found


def _advance_guarded(
    row: dict[str, Any],
    campaign: Campaign,
    known: BatchFacts,
    effects: Effects,
    now: datetime,
    pace: PaceFacts | None = None,
) -> StepResult:
    """A journey whose campaign draws coupons from a pool runs in a savepoint: a pool that ran
    dry undoes this journey's step and pauses its campaign (saying why), so no message goes
    out without its code; the journey runs again once the campaign is resumed, after more
    codes were imported. Other journeys need no savepoint (it costs two statements each)."""
    if not _draws_from_pool(_version(row), campaign):
        return _advance_one(row, campaign, known, effects, now, pace)
    written = len(effects.deliveries)
    try:
        with transaction.atomic():
            return _advance_one(row, campaign, known, effects, now, pace)
    except CouponPoolEmpty as exc:
        del effects.deliveries[written:]
        reason = f"coupon pool {exc.pool!r} is empty: import more codes, then resume"
        do_set_campaign_status(campaign.key, "paused", reason)
        log.warning("campaign %s paused: %s", campaign.key, reason)
        # Unchanged, and due again: it runs once the campaign is resumed.
        return row["id"], row["contact_id"], _columns(EnrollmentState.from_json(row["state"]), now)


def _advance_one(
    row: dict[str, Any],
    campaign: Campaign,
    known: BatchFacts,
    effects: Effects,
    now: datetime,
    pace: PaceFacts | None = None,
) -> StepResult:
    before = EnrollmentState.from_json(row["state"])
    contact = ContactView(
        status=row["contact__status"],
        locale=row["contact__locale"] or None,
        timezone=row["contact__timezone"] or None,
        facts=known.of(row),
        pace=pace,
        in_home=in_home_fact(row["id"], campaign, before),
    )
    outcome = advance(campaign, before, contact, now)
    state = outcome.state
    journey = Journey(
        enrollment_id=row["id"],
        contact_id=row["contact_id"],
        campaign_id=row["campaign_id"],
        campaign=campaign,
        event=state.event,
        owner=row["contact__owner"],
    )
    effects.run(journey, outcome.commands, now)
    return row["id"], row["contact_id"], _columns(state, now)


def _columns(state: EnrollmentState, now: datetime) -> dict[str, object]:
    """The enrollment row's columns for ``state``."""
    ended = state.status != ACTIVE
    return {
        "state": state.to_json(),
        "status": state.status,
        "due_at": state.due_at(now),
        "ended_at": now if ended else None,
        "end_reason": (state.end_reason or "") if ended else "",
        # The first split's group, kept in a column so reports can compare groups.
        "variant": next(iter(state.variants.values()), ""),
    }
