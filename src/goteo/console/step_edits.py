"""The editor's step forms: add, move or remove a step of a campaign document, rewriting the
YAML. The document is read as data and written back (the order of keys kept, comments not), so
its structure survives; what the result means is for the parser to judge, as for any edit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from goteo.engine import yamlsource

KINDS = ("email", "sms", "wait", "wait_for", "branch", "exit")


class EditRefused(ValueError):
    """The edit cannot be made; the message names the field (or the document's line)."""


def _steps(source: str) -> tuple[dict[str, Any], list[Any]]:
    located = yamlsource.load(source)
    if located.problems:
        _, line, message = located.problems[0]
        raise EditRefused(f"line {line}: {message}" if line else message)
    data = located.data
    if not isinstance(data, dict):
        raise EditRefused("the document must be a mapping (key:, name:, steps: …)")
    steps = data.setdefault("steps", [])
    if not isinstance(steps, list):
        raise EditRefused("steps: must be a list")
    return data, steps


class _Dumper(yaml.SafeDumper):
    """Text over several lines (a template's HTML) as a literal block, as people write it."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _dump(data: Mapping[str, Any]) -> str:
    return yaml.dump(dict(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _index(steps: list[Any], raw: str, field: str, *, end: bool = False) -> int:
    limit = len(steps) if end else len(steps) - 1
    try:
        n = int(raw)
    except ValueError:
        raise EditRefused(f"{field}: {raw!r} is not a step number") from None
    if not 0 <= n <= limit:
        raise EditRefused(f"{field}: there is no step {n + 1}")
    return n


def new_step(fields: Mapping[str, str]) -> dict[str, Any]:
    """A step from the add form's fields; the parser checks the values when validating."""
    kind = fields.get("kind", "")
    step: dict[str, Any] = {}
    if fields.get("id", "").strip():
        step["id"] = fields["id"].strip()
    value = fields.get("value", "").strip()
    if kind in ("email", "sms"):
        step |= {"send": kind, "template": value or "message"}
    elif kind == "wait":
        step["wait"] = value or "1d"
    elif kind == "wait_for":
        event = fields.get("event", "").strip() or "purchase"
        step["wait_for"] = {"event": event, "timeout": value or "3d"}
    elif kind == "branch":
        step["branch"] = _condition(fields.get("condition", ""))
    elif kind == "exit":
        step["exit"] = value or True
    else:
        raise EditRefused(f"kind: {kind!r}: use {', '.join(KINDS)}")
    for name in ("then", "else"):
        target = fields.get(name, "").strip()
        if target and kind in ("wait_for", "branch"):
            step[name] = target
    return step


def _condition(text: str) -> Any:
    """A branch's condition, written as in the document (``{score: {gte: 50}}``)."""
    if not text.strip():
        raise EditRefused("condition: a branch needs a condition, like {score: {gte: 50}}")
    located = yamlsource.load(text)
    if located.problems:
        raise EditRefused(f"condition: {located.problems[0][2]}")
    return located.data


def add_step(source: str, fields: Mapping[str, str]) -> str:
    """The document with a new step at ``position`` (0 first; the number of steps: last)."""
    data, steps = _steps(source)
    where = fields.get("position", "").strip()
    at = len(steps) if not where else _index(steps, where, "position", end=True)
    steps.insert(at, new_step(fields))
    return _dump(data)


def move_step(source: str, index: str, direction: str) -> str:
    data, steps = _steps(source)
    i = _index(steps, index, "step")
    j = i - 1 if direction == "up" else i + 1
    if direction not in ("up", "down"):
        raise EditRefused(f"direction: {direction!r}: use up or down")
    if not 0 <= j < len(steps):
        raise EditRefused(f"step: step {i + 1} cannot move {direction}")
    steps[i], steps[j] = steps[j], steps[i]
    return _dump(data)


def remove_step(source: str, index: str) -> str:
    data, steps = _steps(source)
    del steps[_index(steps, index, "step")]
    return _dump(data)


def step_summaries(source: str) -> list[str]:
    """One line per step of the document as written (for the forms), or none when it cannot
    be read: the id when given, else its kind and value."""
    try:
        _, steps = _steps(source)
    except EditRefused:
        return []
    return [_summary(n, step) for n, step in enumerate(steps)]


def _summary(n: int, step: Any) -> str:
    if not isinstance(step, dict):
        return f"{n + 1}. ?"
    name = f" ({step['id']})" if "id" in step else ""
    for kind in ("send", "wait", "wait_for", "branch", "split", "exit", "update", "score"):
        if kind in step:
            value = step[kind]
            shown = "" if value is True else value if isinstance(value, str | int | float) else "…"
            if kind == "send":
                shown = f"{value}: {step.get('template', '')}"
            return f"{n + 1}. {kind} {shown}{name}"
    return f"{n + 1}. {next(iter(step), '?')}{name}"
