"""A/B results of a campaign's split: each variant's conversion against the control's, with a
two-proportion z-test, and the holdout's lift with a confidence interval.

The groups are those of the campaign's first split step (the variant each journey records);
the control is the split's first variant that is not a holdout. Conversion is the campaign's
goal reached in time, as in the report (``reports.variant_rows``). Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from goteo.campaigns.models import Campaign
from goteo.campaigns.reports import campaign_goal, variant_rows
from goteo.campaigns.significance import Lift, ZTest, holdout_lift, two_proportion_test
from goteo.campaigns.versions import campaign_for_version
from goteo.engine.steps import SplitStep

DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class VariantResult:
    name: str
    holdout: bool
    control: bool
    enrolled: int
    converted: int
    test: ZTest | None  # against the control; None for the control and the holdout

    @property
    def rate(self) -> float:
        return self.converted / self.enrolled if self.enrolled else 0.0


@dataclass(frozen=True)
class SplitResults:
    campaign: str
    step_id: str
    confidence: float
    variants: list[VariantResult]
    lift: Lift | None  # None without a holdout, or before anyone is in both groups


def first_split(campaign: Campaign) -> SplitStep | None:
    version = campaign.current_version
    if version is None:
        return None
    definition = campaign_for_version(version.id, version.checksum)
    return next((s for s in definition.steps if isinstance(s, SplitStep)), None)


def split_results(
    campaign: Campaign, confidence: float = DEFAULT_CONFIDENCE
) -> SplitResults | None:
    """The campaign's A/B results, or None when its current version has no split."""
    split = first_split(campaign)
    if split is None:
        return None
    goal_events, within, _ = campaign_goal(campaign)
    counts = {r["variant"]: r for r in variant_rows(campaign, goal_events, within)}

    def tally(name: str) -> tuple[int, int]:
        row = counts.get(name)
        return (row["converted"], row["enrolled"]) if row else (0, 0)

    control = next(v.name for v in split.variants if not v.holdout)
    base_converted, base_enrolled = tally(control)
    variants = []
    for v in split.variants:
        converted, enrolled = tally(v.name)
        test = None
        if not v.holdout and v.name != control:
            test = two_proportion_test(
                converted, enrolled, base_converted, base_enrolled, confidence
            )
        variants.append(
            VariantResult(v.name, v.holdout, v.name == control, enrolled, converted, test)
        )
    treated = [v for v in variants if not v.holdout]
    held = [v for v in variants if v.holdout]
    lift = None
    if held:
        lift = holdout_lift(
            sum(v.converted for v in treated),
            sum(v.enrolled for v in treated),
            sum(v.converted for v in held),
            sum(v.enrolled for v in held),
            confidence,
        )
    return SplitResults(campaign.key, split.id, confidence, variants, lift)
