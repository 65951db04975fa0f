"""The campaign model: what a validated campaign document becomes. Immutable and pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from goteo.engine.steps import (
    BranchStep,
    ExitStep,
    NotifyStep,
    ScoreStep,
    SendStep,
    SplitStep,
    Step,
    TouchStep,
    UpdateStep,
    Variant,
    WaitForStep,
    WaitStep,
    WebhookStep,
    named_targets,
)
from goteo.engine.window import Window

if TYPE_CHECKING:
    from goteo.engine.conditions import Condition, PropertyFilter
    from goteo.engine.exposure_pacing import ExposurePacing
    from goteo.engine.postage import PostageBudget

__all__ = [
    "BranchStep",
    "Campaign",
    "ExitStep",
    "Goal",
    "NotifyStep",
    "Reentry",
    "ScoreStep",
    "SendStep",
    "SplitStep",
    "Step",
    "TemplateVariant",
    "TouchStep",
    "Trigger",
    "UpdateStep",
    "Variant",
    "WaitForStep",
    "WaitStep",
    "WebhookStep",
]


@dataclass(frozen=True)
class Trigger:
    """How contacts enter: ``manual`` (CLI/API enroll), ``subscribed`` to a list or form,
    an ``event`` (its name in ``value``, optionally filtered by ``where``), or entering a
    ``segment`` (``condition``)."""

    kind: str
    value: str | None = None
    where: PropertyFilter | None = None
    condition: Condition | None = None


@dataclass(frozen=True)
class Goal:
    """Doing ``event`` (matching ``where``) within ``within`` of entering ends the journey as
    converted, wherever the contact is in the flow."""

    event: str
    where: PropertyFilter | None = None
    within: timedelta | None = None


@dataclass(frozen=True)
class Reentry:
    """``never``, ``always``, or ``after`` a duration since the previous enrollment began."""

    mode: str
    after: timedelta | None = None


@dataclass(frozen=True)
class TemplateVariant:
    subject: str
    html: str
    text: str | None = None
    preheader: str | None = None
    # Mailers (``send: mail``): the page format, a postcard's picture side, and the landing
    # page the printed personal URL leads to (docs/direct-mail.md).
    format: str | None = None
    front: str | None = None
    landing: str | None = None


@dataclass(frozen=True)
class Campaign:
    key: str
    name: str
    default_locale: str
    trigger: Trigger
    reentry: Reentry
    steps: tuple[Step, ...]
    templates: Mapping[str, Mapping[str, TemplateVariant]]
    window: Window | None = None
    timezone: str = "UTC"
    priority: int = 0  # higher goes first when campaigns compete under a frequency cap
    goal: Goal | None = None
    exit_when: Condition | None = None
    # A missing value refuses the document and fails the message instead of printing empty.
    strict: bool = False
    # Product pages whose tracked visits count as exposures (engine/exposure_pages.py).
    exposure_pages: tuple[PropertyFilter, ...] = ()
    # Touches spread over time and channels by its touch step (engine/exposure_pacing.py).
    pacing: ExposurePacing | None = None
    # What its mailers may spend, across every version (engine/postage.py).
    postage: PostageBudget | None = None
    _index: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {s.id: i for i, s in enumerate(self.steps)})

    @property
    def first_step_id(self) -> str | None:
        return self.steps[0].id if self.steps else None

    def step(self, step_id: str) -> Step:
        return self.steps[self._index[step_id]]

    def has_step(self, step_id: str) -> bool:
        return step_id in self._index

    def resolve(self, step: Step, target: str | None) -> str | None:
        """A written target, or (None) the step below ``step``; None past the last step."""
        if target is not None:
            return target
        i = self._index[step.id] + 1
        return self.steps[i].id if i < len(self.steps) else None

    def successor(self, step: Step) -> str | None:
        """The step that follows a single-exit step: its explicit ``next``, else the one below."""
        targets = named_targets(step)
        return self.resolve(step, targets[0]) if targets else None

    def locales(self, template: str) -> tuple[str, ...]:
        return tuple(self.templates.get(template, {}).keys())
