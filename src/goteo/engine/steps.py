"""The steps of a campaign: immutable values the parser builds and ``advance`` runs.

A step's ``next`` (or ``then``/``else``, or a split variant's ``next``) names the step that
follows it; None means the step written below it. ``Campaign.targets`` resolves those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goteo.engine.conditions import Condition, PropertyFilter
    from goteo.engine.coupon_spec import CouponSpec


@dataclass(frozen=True)
class SendStep:
    id: str
    channel: str
    template: str
    next: str | None = None
    coupon: CouponSpec | None = None
    max_segments: int | None = None  # sms: warn past this many parts (engine/sms_steps.py)
    account: str | None = None  # social: the organisation's account that posts


@dataclass(frozen=True)
class TouchStep:
    """The campaign's paced touches (its ``pacing``): each time, one message on the next
    channel in rotation, with that channel's templates in turn (engine/exposure_pacing.py)."""

    id: str
    templates: Mapping[str, tuple[str, ...]]  # channel -> its templates, used in turn
    next: str | None = None

    def template(self, channel: str, sent: int) -> str:
        """The template of the channel's touch after ``sent`` earlier ones."""
        names = self.templates[channel]
        return names[sent % len(names)]


@dataclass(frozen=True)
class WaitStep:
    """Sleep for ``duration``; with ``after_in_home``, counted from the in-home date of the
    journey's most recent mailer instead (engine/advance.py)."""

    id: str
    duration: timedelta
    next: str | None = None
    after_in_home: bool = False


@dataclass(frozen=True)
class WaitForStep:
    """Wait until the contact does ``event`` (matching ``where``), at most ``timeout``."""

    id: str
    event: str
    timeout: timedelta
    where: PropertyFilter | None = None
    then: str | None = None  # the event happened
    otherwise: str | None = None  # the timeout ran out first (``else:`` in the document)


@dataclass(frozen=True)
class BranchStep:
    id: str
    condition: Condition
    then: str | None = None
    otherwise: str | None = None


@dataclass(frozen=True)
class Variant:
    name: str
    weight: int
    next: str | None = None
    holdout: bool = False  # receives nothing: the journey ends here, so lift can be measured


@dataclass(frozen=True)
class WinnerRule:
    """When a split is decided by itself: the variant best on ``metric`` beats every other
    at ``confidence`` (a two-proportion test), once ``after`` has passed since the first
    journey reached the split and each variant has ``min_sends`` journeys (either or both)."""

    metric: str  # "converted", "clicked" or "opened"
    confidence: float
    after: timedelta | None = None
    min_sends: int | None = None


@dataclass(frozen=True)
class SplitStep:
    id: str
    variants: tuple[Variant, ...]
    winner: WinnerRule | None = None  # the auto-winner rule, if the split declares one
    decided: str | None = None  # the variant that won: new arrivals go there (not the store's)
    listed_at: str = "split"  # where the document lists the variants ("split.variants")

    @property
    def total_weight(self) -> int:
        return sum(v.weight for v in self.variants)


@dataclass(frozen=True)
class UpdateStep:
    """Set contact attributes and add or remove tags."""

    id: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    next: str | None = None


@dataclass(frozen=True)
class ScoreStep:
    id: str
    points: float
    next: str | None = None


@dataclass(frozen=True)
class NotifyStep:
    """Email a person on our side (the contact's owner, or an address) about the contact."""

    id: str
    to: str  # "owner" or an email address
    template: str
    next: str | None = None


@dataclass(frozen=True)
class WebhookStep:
    """POST the contact and the journey to a URL (a CRM, a Slack bridge, a fulfilment system)."""

    id: str
    url: str
    next: str | None = None


@dataclass(frozen=True)
class ExitStep:
    id: str
    reason: str = "exit step"


Step = (
    SendStep
    | TouchStep
    | WaitStep
    | WaitForStep
    | BranchStep
    | SplitStep
    | UpdateStep
    | ScoreStep
    | NotifyStep
    | WebhookStep
    | ExitStep
)


def named_targets(step: Step) -> list[str | None]:
    """Where the step can go, as written (None: the step below)."""
    if isinstance(step, ExitStep):
        return []
    if isinstance(step, WaitForStep | BranchStep):
        return [step.then, step.otherwise]
    if isinstance(step, SplitStep):
        return [v.next for v in step.variants if not v.holdout]
    return [step.next]
