"""A campaign's flow as a graph, for the web app's diagram: one node per step (and the start,
the end, a holdout and the goal), one edge per way a step can go, labelled with the branch
condition, the event awaited or the split's share. Pure: plain data, laid out by the browser.

Step ids are slugs, so the nodes added here (``@start``, ``@end``, ``@holdout``, ``@goal``)
never collide with a step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from goteo.engine.condition_text import describe, describe_where
from goteo.engine.durations import format_duration
from goteo.engine.model import Campaign, Trigger
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

START, END, HOLDOUT, GOAL = "@start", "@end", "@holdout", "@goal"


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # a step kind (send, wait, wait_for, …) or start, end, holdout, goal
    detail: str
    channel: str = ""  # a send step's channel


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # next, then, else, event, timeout, variant
    text: str = ""


def flow_graph(campaign: Campaign) -> dict[str, list[dict[str, Any]]]:
    """``{"nodes": [...], "edges": [...]}``, in the order of the document."""
    nodes = [Node(START, "start", trigger_text(campaign.trigger))]
    edges = [Edge(START, campaign.first_step_id or END, "next")]
    for step in campaign.steps:
        nodes.append(_touch_node(campaign, step) if isinstance(step, TouchStep) else _node(step))
        edges.extend(_edges(campaign, step))
    ends = {e.target for e in edges}
    if END in ends:
        nodes.append(Node(END, "end", ""))
    if HOLDOUT in ends:
        nodes.append(Node(HOLDOUT, "holdout", ""))
    if campaign.goal is not None:
        goal = campaign.goal
        within = f" within {format_duration(goal.within)}" if goal.within is not None else ""
        nodes.append(Node(GOAL, "goal", f"{goal.event}{describe_where(goal.where)}{within}"))
    return {"nodes": [asdict(n) for n in nodes], "edges": [asdict(e) for e in edges]}


def trigger_text(trigger: Trigger) -> str:
    if trigger.kind == "segment" and trigger.condition is not None:
        return f"segment: {describe(trigger.condition)}"
    if trigger.kind == "event":
        return f"event {trigger.value}{describe_where(trigger.where)}"
    if trigger.value:
        return f"{trigger.kind}: {trigger.value}"
    return trigger.kind


def _node(step: Step) -> Node:
    if isinstance(step, SendStep):
        return Node(step.id, "send", step.template, channel=step.channel)
    return Node(step.id, _KINDS[type(step)], _detail(step))


def _touch_node(campaign: Campaign, step: TouchStep) -> Node:
    """The paced touches: the target and the channels in rotation (``29 in 90d``)."""
    pacing = campaign.pacing
    target = f"{pacing.exposures} in {format_duration(pacing.within)}" if pacing else ""
    return Node(step.id, "touch", target, channel=" / ".join(step.templates))


_KINDS: dict[type, str] = {
    WaitStep: "wait",
    WaitForStep: "wait_for",
    BranchStep: "branch",
    SplitStep: "split",
    UpdateStep: "update",
    ScoreStep: "score",
    NotifyStep: "notify",
    WebhookStep: "webhook",
    ExitStep: "exit",
}


def _detail(step: Step) -> str:
    if isinstance(step, WaitStep):
        after = " after the in-home date" if step.after_in_home else ""
        return format_duration(step.duration) + after
    if isinstance(step, WaitForStep):
        return f"{step.event}, {format_duration(step.timeout)}"
    if isinstance(step, BranchStep):
        return describe(step.condition)
    if isinstance(step, UpdateStep):
        tags = [f"+{t}" for t in step.add_tags] + [f"-{t}" for t in step.remove_tags]
        return ", ".join([*step.attributes, *tags])
    if isinstance(step, ScoreStep):
        return f"{step.points:+g}"
    if isinstance(step, NotifyStep):
        return f"{step.to}: {step.template}"
    if isinstance(step, WebhookStep):
        return step.url
    if isinstance(step, ExitStep):
        return step.reason
    return ""  # a split: its variants are on its edges


def _edges(campaign: Campaign, step: Step) -> list[Edge]:
    def to(target: str | None) -> str:
        return campaign.resolve(step, target) or END

    if isinstance(step, ExitStep):
        return []
    if isinstance(step, BranchStep):
        return [
            Edge(step.id, to(step.then), "then", describe(step.condition)),
            Edge(step.id, to(step.otherwise), "else"),
        ]
    if isinstance(step, WaitForStep):
        event = f"{step.event}{describe_where(step.where)}"
        return [
            Edge(step.id, to(step.then), "event", event),
            Edge(step.id, to(step.otherwise), "timeout", format_duration(step.timeout)),
        ]
    if isinstance(step, SplitStep):
        total = step.total_weight or 1
        return [
            Edge(
                step.id,
                HOLDOUT if v.holdout else to(v.next),
                "variant",
                f"{v.name} {round(100 * v.weight / total)}%",
            )
            for v in step.variants
        ]
    return [Edge(step.id, campaign.successor(step) or END, "next")]
