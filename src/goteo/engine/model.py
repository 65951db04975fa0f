"""The campaign model: what a validated campaign document becomes. Immutable and pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from goteo.engine.window import Window


@dataclass(frozen=True)
class SendStep:
    id: str
    channel: str
    template: str
    next: str | None = None


@dataclass(frozen=True)
class WaitStep:
    id: str
    duration: timedelta
    next: str | None = None


@dataclass(frozen=True)
class ExitStep:
    id: str
    reason: str = "exit step"


Step = SendStep | WaitStep | ExitStep


@dataclass(frozen=True)
class Trigger:
    """How contacts enter: ``manual`` (CLI/API enroll) or ``subscribed`` to a list or form."""

    kind: str
    value: str | None = None


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

    def successor(self, step: Step) -> str | None:
        """The step that follows ``step``: its explicit ``next``, else the one below it."""
        if isinstance(step, ExitStep):
            return None
        if step.next is not None:
            return step.next
        i = self._index[step.id] + 1
        return self.steps[i].id if i < len(self.steps) else None

    def locales(self, template: str) -> tuple[str, ...]:
        return tuple(self.templates.get(template, {}).keys())
