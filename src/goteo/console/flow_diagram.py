"""The campaign page's diagram and its table: the flow graph of the current version (laid out
in the browser by elkjs, console/static/console/flow.js) with each step's figures."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from goteo.campaigns.models import Campaign
from goteo.campaigns.step_counts import FIGURES, step_counts
from goteo.console.step_labels import step_label
from goteo.engine.flow_graph import flow_graph
from goteo.engine.model import Campaign as Definition


def words() -> dict[str, str]:
    """What the script writes on the diagram, in the page's language."""
    return {
        "start": _("start"), "end": _("end"), "holdout": _("holdout"), "goal": _("goal"),
        "send": _("send"), "wait": _("wait"), "wait_for": _("wait for"), "branch": _("branch"),
        "split": _("split"), "update": _("update"), "score": _("score"), "notify": _("notify"),
        "webhook": _("webhook"), "exit": _("exit"), "touch": _("touches"),
        "then": _("yes"), "else": _("no"), "event": _("did"), "timeout": _("no reply in"),
        "waiting": _("waiting"), "sent": _("sent"), "opened": _("opened"),
        "clicked": _("clicked"), "converted": _("converted"), "exited": _("exited"),
        "completed": _("completed"), "held out": _("held out"),
        "diagram": _("The flow as a diagram; the table below holds the same steps and figures."),
    }  # fmt: skip


def flow_context(row: Campaign, definition: Definition, report: dict[str, Any]) -> dict[str, Any]:
    """``flow`` (nodes with their figures, and edges) for the script, ``steps`` for the table."""
    graph = flow_graph(definition)
    counts = step_counts(row, definition, report["steps"])
    steps = {s.id for s in definition.steps}
    for node in graph["nodes"]:
        blank = dict.fromkeys(FIGURES, 0) if node["id"] in steps else {}
        node["counts"] = counts.get(node["id"], blank)
    rows = [
        {
            "id": s.id,
            "label": step_label(s),
            "figures": counts.get(s.id) or dict.fromkeys(FIGURES, 0),
        }
        for s in definition.steps
    ]
    return {"flow": {"graph": graph, "words": words()}, "steps": rows}
