"""Deciding a campaign's split: by its auto-winner rule (the worker's periodic pass) or by
hand (an editor in the console, ``goteo campaign pick-winner``). Recorded once per campaign
and split, audited; journeys already on a variant keep it, new arrivals go to the winner
(engine/split_winners.py).

Several workers may decide the same split at once: the unique (campaign, step) row lets one
win, the others record nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from goteo.actions.audit import current_actor, record
from goteo.actions.errors import ActionError
from goteo.campaigns.models import Campaign, CampaignStatus, SplitDecision
from goteo.campaigns.split_rule import check_split_rule, split_of

log = logging.getLogger(__name__)
BY_RULE = "auto-winner rule"
HAND = "hand"  # the metric of a winner picked by hand


def do_decide_splits(now: datetime) -> int:
    """Decide every active campaign's split whose auto-winner rule is met; how many were."""
    campaigns = Campaign.objects.filter(status=CampaignStatus.ACTIVE).select_related(
        "current_version"
    )
    decided = set(SplitDecision.objects.values_list("campaign_id", "step_id"))
    made = 0
    for campaign in campaigns.exclude(current_version=None):
        split = split_of(campaign)
        if split is None or split.winner is None or (campaign.id, split.id) in decided:
            continue
        judgement = check_split_rule(campaign, now)
        if judgement is None or judgement.winner is None:
            continue
        figures = {
            "metric": split.winner.metric,
            "p_value": judgement.p_value,
            "confidence": split.winner.confidence,
            "figures": list(judgement.figures),
        }
        if _record(campaign, split.id, judgement.winner, BY_RULE, judgement.reason, now, figures):
            log.info("campaign %s: split %s decided: %s", campaign.key, split.id, judgement.reason)
            made += 1
    return made


def do_pick_winner(key: str, variant: str, now: datetime) -> SplitDecision:
    """Decide the campaign's split for ``variant`` by hand; refused once it is decided."""
    campaign = Campaign.objects.select_related("current_version").filter(key=key).first()
    if campaign is None:
        raise ActionError("no such campaign", {"campaign": key})
    split = split_of(campaign)
    if split is None:
        raise ActionError("the campaign has no split", {"campaign": key})
    names = [v.name for v in split.variants if not v.holdout]
    if variant not in names:
        allowed = ", ".join(names)
        raise ActionError("not a variant of the split", {"variant": f"{variant!r}: {allowed}"})
    by = current_actor()
    reason = "picked by hand"
    found = _record(campaign, split.id, variant, by, reason, now, {"metric": HAND})
    if found is None:
        raise ActionError("the split is already decided", {"variant": variant})
    return found


def _record(
    campaign: Campaign,
    step_id: str,
    variant: str,
    by: str,
    reason: str,
    now: datetime,
    figures: dict[str, Any],
) -> SplitDecision | None:
    """The decision, written with its audit entry; None when the split was decided already."""
    with transaction.atomic():
        if SplitDecision.objects.filter(campaign=campaign, step_id=step_id).exists():
            return None
        try:
            with transaction.atomic():
                row = SplitDecision.objects.create(
                    campaign=campaign,
                    step_id=step_id,
                    variant=variant,
                    decided_at=now,
                    decided_by=by[:200],
                    reason=reason[:500],
                    **figures,
                )
        except IntegrityError:  # another worker decided it a moment ago
            return None
        after = {"step": step_id, "variant": variant, "by": by, "reason": reason} | figures
        record("campaign.split_decided", campaign.key, None, after)
    return row
