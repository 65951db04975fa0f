"""A split's auto-winner rule: ``winner: {metric: clicked, after: 7d, min_sends: 500,
confidence: 0.95}`` under ``split: {variants: [...], winner: ...}`` (docs/flows.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from goteo.engine.durations import DurationError, parse_duration
from goteo.engine.steps import WinnerRule

METRICS = ("converted", "clicked", "opened")
KEYS = ("metric", "after", "min_sends", "confidence")
DEFAULT_CONFIDENCE = 0.95
MAX_SENDS = 10_000_000

Fail = Callable[[str, str], None]


def parse_winner(spec: Any, path: str, fail: Fail) -> WinnerRule | None:
    """The rule, or None after naming every problem by its path."""
    if not isinstance(spec, dict):
        fail(path, "must be a mapping like {metric: clicked, after: 7d, confidence: 0.95}")
        return None
    before = _Count(fail)
    for k in spec:
        if k not in KEYS:
            before(f"{path}.{k}", f"unknown key (expected {', '.join(KEYS)})")
    metric = spec.get("metric")
    if metric not in METRICS:
        before(f"{path}.metric", f"{metric!r}: use one of {', '.join(METRICS)}")
    after = None
    if "after" in spec:
        try:
            after = parse_duration(spec["after"])
        except DurationError as exc:
            before(f"{path}.after", str(exc))
    sends = spec.get("min_sends")
    if sends is not None and (
        isinstance(sends, bool) or not isinstance(sends, int) or not 1 <= sends <= MAX_SENDS
    ):
        before(f"{path}.min_sends", f"{sends!r} must be a whole number from 1 to {MAX_SENDS}")
    if "after" not in spec and sends is None:
        before(path, "needs after, min_sends or both: a winner is never picked on the first few")
    confidence = spec.get("confidence", DEFAULT_CONFIDENCE)
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        before(f"{path}.confidence", f"{confidence!r} must be a number such as 0.95")
    elif not 0.5 <= confidence < 1:
        before(f"{path}.confidence", f"{confidence!r} must be at least 0.5 and below 1")
    if before.count:
        return None
    assert isinstance(metric, str)
    return WinnerRule(metric, float(confidence), after, sends)


class _Count:
    """A ``fail`` that counts the problems it passed on."""

    def __init__(self, fail: Fail) -> None:
        self.fail, self.count = fail, 0

    def __call__(self, path: str, message: str) -> None:
        self.count += 1
        self.fail(path, message)
