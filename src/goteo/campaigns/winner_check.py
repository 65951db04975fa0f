"""Is a split's auto-winner rule met? The variant best on the rule's metric must beat every
other variant (holdouts aside) in the two-proportion test at the rule's confidence, once the
rule's minimum time and journeys are reached. Pure arithmetic on counts: nothing here reads
the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from goteo.campaigns.significance import two_proportion_test
from goteo.engine.durations import format_duration
from goteo.engine.steps import WinnerRule


@dataclass(frozen=True)
class Tally:
    name: str
    journeys: int  # journeys that drew this variant
    successes: int  # of them, how many converted, clicked or opened (the rule's metric)

    @property
    def rate(self) -> float:
        return self.successes / self.journeys if self.journeys else 0.0


@dataclass(frozen=True)
class Judgement:
    winner: str | None  # None: the rule is not met (yet)
    reason: str  # why it is met, or what it still waits for
    p_value: float | None = None  # the largest p-value of the winner against the others
    figures: tuple[dict[str, Any], ...] = ()


def judge(
    rule: WinnerRule, tallies: list[Tally], first_at: datetime | None, now: datetime
) -> Judgement:
    """The rule on the variants that are not holdouts; ``first_at`` is when the first journey
    that drew a variant began."""
    if rule.after is not None:
        if first_at is None:
            return Judgement(None, "no journey has reached the split yet")
        if now < first_at + rule.after:
            until = f"{first_at + rule.after:%Y-%m-%d %H:%M} UTC"
            after = format_duration(rule.after)
            return Judgement(None, f"waits until {until}, {after} after the first journey")
    if rule.min_sends is not None:
        short = [t for t in tallies if t.journeys < rule.min_sends]
        if short:
            fewest = min(t.journeys for t in short)
            return Judgement(None, f"{fewest} of {rule.min_sends} journeys in every variant")
    ranked = sorted(tallies, key=lambda t: t.rate, reverse=True)
    best, others = ranked[0], ranked[1:]
    if others[0].rate == best.rate:
        return Judgement(None, f"no variant leads on {rule.metric}")
    figures = [_figure(best, None)]
    worst_p = 0.0
    for other in others:
        test = two_proportion_test(
            best.successes, best.journeys, other.successes, other.journeys, rule.confidence
        )
        if test is None or not test.significant:
            p = "untestable" if test is None else f"p = {test.p_value:.3f}"
            return Judgement(None, f"{best.name} does not beat {other.name} yet ({p})")
        worst_p = max(worst_p, test.p_value)
        figures.append(_figure(other, test.p_value))
    reason = (
        f"{best.name} {rule.metric} {best.rate:.1%} against "
        + ", ".join(f"{o.name} {o.rate:.1%}" for o in others)
        + f"; p = {worst_p:.4f} at {rule.confidence:.0%} confidence"
    )
    return Judgement(best.name, reason, worst_p, tuple(figures))


def _figure(tally: Tally, p_value: float | None) -> dict[str, Any]:
    return {
        "variant": tally.name,
        "journeys": tally.journeys,
        "successes": tally.successes,
        "rate": round(tally.rate, 4),
        "p_value": p_value,  # against the winner; None for the winner itself
    }
