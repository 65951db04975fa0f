"""The figures drawn on a campaign's diagram, per step: journeys waiting there, messages sent,
opened and clicked, conversions credited, and journeys that exited after it. Read-only."""

from __future__ import annotations

from collections import Counter
from typing import Any

from goteo.campaigns.journeys import ended_per_reason, waiting_per_step
from goteo.campaigns.models import Campaign, Enrollment, EnrollmentStatus
from goteo.engine.flow_graph import END, GOAL, HOLDOUT
from goteo.engine.model import Campaign as Definition
from goteo.engine.steps import ExitStep, TouchStep, named_targets

FIGURES = ("waiting", "sent", "opened", "clicked", "converted", "exited")


def step_counts(
    campaign: Campaign, definition: Definition, report_steps: list[dict[str, Any]]
) -> dict[str, dict[str, int]]:
    """``{step id: {waiting, sent, opened, clicked, converted, exited}}``, from the campaign
    report's steps (``campaign_report(key)["steps"]``) and the journeys, with the journeys that
    completed (``@end``), reached the goal (``@goal``) and were held out (``@holdout``)."""
    figures: dict[str, dict[str, int]] = {}

    def of(step_id: str) -> dict[str, int]:
        return figures.setdefault(step_id, dict.fromkeys(FIGURES, 0))

    for step_id, n in waiting_per_step(campaign).items():
        of(step_id)["waiting"] = n
    touches = {s.id for s in definition.steps if isinstance(s, TouchStep)}
    for row in report_steps:
        # A touch step's figures are those of all its touches (``<id>.<n>``) together.
        head = row["step_id"].rsplit(".", 1)[0]
        step = of(head if head in touches else row["step_id"])
        for k in ("sent", "opened", "clicked"):
            step[k] += row[k]
        step["converted"] += row["conversions"]
    for step_id, n in _exited_at(campaign, definition).items():
        of(step_id)["exited"] = n
    ended = ended_per_reason(campaign)
    held = Enrollment.objects.filter(campaign=campaign, variant="holdout").count()
    figures[END] = {"completed": ended.get(EnrollmentStatus.COMPLETED, 0)}
    figures[GOAL] = {"converted": ended.get(EnrollmentStatus.CONVERTED, 0)}
    figures[HOLDOUT] = {"held out": held}
    return figures


def _exited_at(campaign: Campaign, definition: Definition) -> Counter[str]:
    """Journeys that exited, by where: the exit step that ended them (its reason, and where
    the last step they ran leads), else the last step they ran (an exit condition or an
    unsubscribe ended them there). Steps are matched by id in ``definition``."""
    exits: dict[str, list[str]] = {}
    for step in definition.steps:
        if isinstance(step, ExitStep):
            exits.setdefault(step.reason, []).append(step.id)
    states = Enrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.EXITED)
    found: Counter[str] = Counter()
    for state in states.values_list("state", flat=True).iterator():
        ran = [str(s) for s in state.get("steps_run") or []]
        at = _exit_step(definition, exits.get(state.get("end_reason") or "", []), ran)
        if at is not None:
            found[at] += 1
    return found


def _exit_step(definition: Definition, candidates: list[str], ran: list[str]) -> str | None:
    last = ran[-1] if ran else None
    if len(candidates) == 1:
        return candidates[0]
    if last is not None and definition.has_step(last):
        step = definition.step(last)
        leads = {definition.resolve(step, t) for t in named_targets(step)}
        return next((c for c in candidates if c in leads), last)
    return last
