"""Which events (and exposures) a campaign's decisions read, so the worker loads only those."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from goteo.engine.conditions import event_names, exposure_lookback, lookback
from goteo.engine.model import Campaign
from goteo.engine.steps import BranchStep, WaitForStep


@dataclass(frozen=True)
class EventNeeds:
    names: frozenset[str]
    # How far before the journey began events still matter; None: the whole history.
    before_start: timedelta | None = timedelta(0)
    # How far before now exposures matter (conditions' ``within``); None: the whole history;
    # False: no decision reads exposures.
    exposures: timedelta | bool | None = False

    @property
    def none(self) -> bool:
        return not self.names


def event_needs(campaign: Campaign) -> EventNeeds:
    """The goal and wait_for look at events since the journey began; conditions (branch,
    exit_when) look back as far as their ``within`` (or all history without one)."""
    names: set[str] = set()
    reach: timedelta | None = timedelta(0)
    exposures: timedelta | bool | None = False
    conditions = [s.condition for s in campaign.steps if isinstance(s, BranchStep)]
    if campaign.exit_when is not None:
        conditions.append(campaign.exit_when)
    for condition in conditions:
        exposures = _longer(exposures, exposure_lookback(condition))
        found = event_names(condition)
        if found:
            names |= found
            back = lookback(condition)
            reach = None if back is None or reach is None else max(reach, back)
    if campaign.goal is not None:
        names.add(campaign.goal.event)
    names |= {s.event for s in campaign.steps if isinstance(s, WaitForStep)}
    return EventNeeds(frozenset(names), reach, exposures)


def _longer(a: timedelta | bool | None, b: timedelta | bool | None) -> timedelta | bool | None:
    """The longer of two exposure lookbacks (False: none needed; None: all history)."""
    if a is False:
        return b
    if b is False:
        return a
    if a is None or b is None:
        return None
    assert isinstance(a, timedelta) and isinstance(b, timedelta)
    return max(a, b)
