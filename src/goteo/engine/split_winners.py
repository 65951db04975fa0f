"""Decided splits: a split whose winner is known sends every new arrival to the winner
(holdouts keep their share); a journey that already drew a variant keeps it.

The decision lives in the store; ``with_winners`` lays it onto a campaign so ``advance`` and
the simulator see it. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from goteo.engine.model import Campaign
from goteo.engine.steps import SplitStep


def with_winners(campaign: Campaign, winners: Mapping[str, str]) -> Campaign:
    """The campaign with each split named in ``winners`` (step id -> variant) decided; a
    winner that is not one of the split's variants (a later version renamed it) is ignored."""
    if not winners:
        return campaign
    steps = tuple(
        replace(s, decided=winners[s.id])
        if isinstance(s, SplitStep)
        and s.id in winners
        and any(v.name == winners[s.id] and not v.holdout for v in s.variants)
        else s
        for s in campaign.steps
    )
    return replace(campaign, steps=steps)


def decided_split(step: SplitStep) -> SplitStep:
    """The split new arrivals draw from once it is decided: the winner takes the weight of
    every variant that is not a holdout; the holdouts keep theirs."""
    if step.decided is None:
        return step
    treated = sum(v.weight for v in step.variants if not v.holdout)
    kept = tuple(
        replace(v, weight=treated) if v.name == step.decided else v
        for v in step.variants
        if v.holdout or v.name == step.decided
    )
    return replace(step, variants=kept)


def first_split(campaign: Campaign) -> SplitStep | None:
    """The campaign's first split: the one whose groups reports compare."""
    return next((s for s in campaign.steps if isinstance(s, SplitStep)), None)
