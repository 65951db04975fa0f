"""A step, in a few words for the campaign page: its kind and what it does."""

from __future__ import annotations

from django.utils.translation import gettext as _

from goteo.engine.durations import format_duration
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
    WaitForStep,
    WaitStep,
    WebhookStep,
)


def step_label(step: Step) -> tuple[str, str]:
    """(kind, detail)."""
    if isinstance(step, SendStep):
        return _("send"), f"{step.channel}: {step.template}"
    if isinstance(step, TouchStep):
        return _("paced touches"), ", ".join(
            f"{c}: {' / '.join(t)}" for c, t in step.templates.items()
        )
    if isinstance(step, WaitStep):
        after = " after the in-home date" if step.after_in_home else ""
        return _("wait"), format_duration(step.duration) + after
    if isinstance(step, WaitForStep):
        return _("wait for"), f"{step.event}, {format_duration(step.timeout)}"
    if isinstance(step, BranchStep):
        return _("branch"), f"{step.then or '→'} / {step.otherwise or '→'}"
    if isinstance(step, SplitStep):
        return _("split"), ", ".join(f"{v.name} {v.weight}" for v in step.variants)
    if isinstance(step, UpdateStep):
        return _("update"), ", ".join([*step.attributes, *step.add_tags, *step.remove_tags])
    if isinstance(step, ScoreStep):
        return _("score"), f"{step.points:+g}"
    if isinstance(step, NotifyStep):
        return _("notify"), step.to
    if isinstance(step, WebhookStep):
        return _("webhook"), step.url
    assert isinstance(step, ExitStep)
    return _("exit"), step.reason
