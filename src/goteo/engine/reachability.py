"""Which steps can never be reached from the first one."""

from __future__ import annotations

from collections.abc import Sequence

from goteo.engine.model import ExitStep, Step


def successors(steps: Sequence[Step], i: int) -> list[int]:
    step = steps[i]
    if isinstance(step, ExitStep):
        return []
    index = {s.id: j for j, s in enumerate(steps)}
    target = getattr(step, "next", None)
    if target is not None:
        return [index[target]] if target in index else []
    return [i + 1] if i + 1 < len(steps) else []


def unreachable_steps(steps: Sequence[Step]) -> list[int]:
    seen: set[int] = set()
    todo = [0] if steps else []
    while todo:
        i = todo.pop()
        if i not in seen:
            seen.add(i)
            todo.extend(successors(steps, i))
    return [i for i in range(len(steps)) if i not in seen]


def find_loop(steps: Sequence[Step]) -> list[int] | None:
    """The first cycle of steps, if any: a journey must always move forward to an end."""
    for start in range(len(steps)):
        path: list[int] = []
        i: int | None = start
        while i is not None:
            if i in path:
                return path[path.index(i) :]
            path.append(i)
            nxt = successors(steps, i)
            i = nxt[0] if nxt else None
    return None
