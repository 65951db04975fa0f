"""What ``advance`` decided on the way, for people to read: which branch and why, which split
variant, what a wait_for saw. The worker ignores them; the simulator shows them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    step_id: str
    kind: str  # "branch", "split" or "wait_for"
    detail: str  # "then -> offer: score gte 50 holds"
