"""Lead scoring, the pure part: the rules document's model, decay, crossings, owner choice.

A contact's score is stored as a value and the moment it was true (``score`` as of
``score_updated_at``); its current value decays exponentially with the rules' half-life:
``score * 0.5 ** (elapsed / half_life)``. Nothing here touches the database or the clock:
every function takes ``now``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from goteo.engine.conditions import Condition, Facts, PropertyFilter, evaluate, matches_where


@dataclass(frozen=True)
class Rule:
    """Points for an event, optionally only when its properties match ``where``."""

    id: str  # names the rule in score entries ("rule:<id>"): max_per_day counts by it
    event: str
    points: float
    where: PropertyFilter | None = None
    max_per_day: int | None = None  # at most this many scorings per contact and UTC day

    @property
    def reason(self) -> str:
        return f"rule:{self.id}"


@dataclass(frozen=True)
class Owner:
    """A salesperson who receives hot leads: all of them, or those matching ``when``."""

    email: str
    when: Condition | None = None


@dataclass(frozen=True)
class ScoringRules:
    half_life: timedelta | None = None  # None: points never decay
    threshold: float | None = None  # None: no lead ever becomes hot
    rules: tuple[Rule, ...] = ()
    owners: tuple[Owner, ...] = ()
    notify: bool = False  # email the owner the lead's history
    webhook: str = ""  # post the hand-off to this URL (a CRM)

    def rules_for(self, name: str, properties: Mapping[str, Any]) -> list[Rule]:
        """The rules an event of ``name`` with ``properties`` scores, in document order."""
        return [
            rule
            for rule in self.rules
            if rule.event == name and (rule.where is None or matches_where(rule.where, properties))
        ]


def decayed(
    score: float, since: datetime | None, now: datetime, half_life: timedelta | None
) -> float:
    """The value at ``now`` of ``score`` as of ``since``: halved every ``half_life``."""
    if since is None or half_life is None or score == 0:
        return score
    elapsed = (now - since).total_seconds()
    if elapsed <= 0:
        return score
    return score * math.pow(0.5, elapsed / half_life.total_seconds())


def still_hot(score: float, since: datetime | None, now: datetime, rules: ScoringRules) -> bool:
    """Whether a lead marked hot still is: its decayed score has not gone under yet."""
    if rules.threshold is None:
        return True
    return decayed(score, since, now, rules.half_life) >= rules.threshold


class Crossing(Enum):
    HOT = "hot"  # crossed the threshold upwards: hand the lead to an owner
    COLD = "cold"  # fell back under it: no longer hot, no hand-off until it crosses again


def crossing(score: float, is_hot: bool, threshold: float | None) -> Crossing | None:
    """What the current ``score`` means for a lead that ``is_hot`` (or not)."""
    if threshold is None:
        return None  # no threshold (any more): leave hot leads as they are
    if score >= threshold and not is_hot:
        return Crossing.HOT
    if score < threshold and is_hot:
        return Crossing.COLD
    return None


def within_daily_caps(rules: Sequence[Rule], scored_today: Mapping[str, int]) -> list[bool]:
    """For each rule scored in turn, whether it still counts, given how often each rule
    (by reason) already scored today: ``max_per_day`` holds within one batch too."""
    counts = dict(scored_today)
    allowed: list[bool] = []
    for rule in rules:
        used = counts.get(rule.reason, 0)
        ok = rule.max_per_day is None or used < rule.max_per_day
        if ok:
            counts[rule.reason] = used + 1
        allowed.append(ok)
    return allowed


def day_start(now: datetime) -> datetime:
    """The start of ``now``'s day in UTC (the day ``max_per_day`` counts in)."""
    utc = now.astimezone(UTC)
    return utc.replace(hour=0, minute=0, second=0, microsecond=0)


def choose_owner(
    owners: Sequence[Owner], facts: Facts, now: datetime, turn: int
) -> tuple[str | None, bool]:
    """The owner for a lead, and whether the round-robin turn was used.

    The first owner whose ``when`` matches wins; otherwise the ``turn``-th (modulo) of the
    owners without a condition, and the caller moves its counter on by one. Nobody fits:
    ``(None, False)``.
    """
    for owner in owners:
        if owner.when is not None and evaluate(owner.when, facts, now):
            return owner.email, False
    pool = [owner.email for owner in owners if owner.when is None]
    if not pool:
        return None, False
    return pool[turn % len(pool)], True
