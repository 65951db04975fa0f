"""A campaign's split and its auto-winner rule, read: where the rule stands now, and the
split as the report, the console and the API show it (the rule, the standing, the decision).
Nothing here writes (actions/split_winners.py decides)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from goteo.campaigns.models import Campaign
from goteo.campaigns.split_decisions import decision_of
from goteo.campaigns.variant_tallies import first_journey_at, variant_tallies
from goteo.campaigns.versions import campaign_for_version
from goteo.campaigns.winner_check import Judgement, Tally, judge
from goteo.engine.durations import format_duration
from goteo.engine.problems import CampaignInvalid
from goteo.engine.split_winners import first_split
from goteo.engine.steps import SplitStep, WinnerRule


def split_of(campaign: Campaign) -> SplitStep | None:
    """The current version's first split, the one a decision is about."""
    version = campaign.current_version
    if version is None:
        return None
    try:
        definition = campaign_for_version(version.id, version.checksum)
    except CampaignInvalid:  # stored without apply's checks: nothing to decide on
        return None
    return first_split(definition)


def check_split_rule(campaign: Campaign, now: datetime) -> Judgement | None:
    """Where the current version's auto-winner rule stands (None: it has none)."""
    split = split_of(campaign)
    if split is None or split.winner is None:
        return None
    tallies = variant_tallies(campaign, split.winner.metric)
    treated = [tallies.get(v.name) or Tally(v.name, 0, 0) for v in split.variants if not v.holdout]
    return judge(split.winner, treated, first_journey_at(campaign), now)


def rule_text(rule: WinnerRule) -> str:
    """The rule as people read it: ``best clicked at 95% confidence, after 7d, 500 each``."""
    parts = [f"best {rule.metric} at {rule.confidence:.0%} confidence"]
    if rule.after is not None:
        parts.append(f"after {format_duration(rule.after)}")
    if rule.min_sends is not None:
        parts.append(f"at least {rule.min_sends} journeys each")
    return ", ".join(parts)


def split_section(campaign: Campaign, now: datetime) -> dict[str, Any] | None:
    """The first split: its variants, its rule and where it stands, and its decision."""
    split = split_of(campaign)
    if split is None:
        return None
    decision = decision_of(campaign.id, split.id)
    rule, standing = split.winner, None
    if rule is not None and decision is None:
        judged = check_split_rule(campaign, now)
        standing = judged.reason if judged is not None else None
    return {
        "step_id": split.id,
        "variants": [v.name for v in split.variants if not v.holdout],
        "rule": rule_text(rule) if rule is not None else None,
        "standing": standing,  # what an undecided rule waits for
        "decision": decision,
    }
