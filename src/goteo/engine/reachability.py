"""Which steps can never be reached from the first one, and whether the steps loop."""

from __future__ import annotations

from collections.abc import Sequence

from goteo.engine.steps import Step, named_targets


def successors(steps: Sequence[Step], i: int) -> list[int]:
    """Every step that can follow step ``i`` (a branch or split has several)."""
    index = {s.id: j for j, s in enumerate(steps)}
    found: list[int] = []
    for target in named_targets(steps[i]):
        j = (i + 1 if i + 1 < len(steps) else None) if target is None else index.get(target)
        if j is not None and j not in found:
            found.append(j)
    return found


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
    done: set[int] = set()
    for start in range(len(steps)):
        if start in done:
            continue
        path: list[int] = []
        on_path: set[int] = set()
        stack: list[tuple[int, list[int]]] = [(start, successors(steps, start))]
        path.append(start)
        on_path.add(start)
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
                continue
            nxt = pending.pop(0)
            if nxt in on_path:
                return path[path.index(nxt) :]
            if nxt not in done:
                stack.append((nxt, successors(steps, nxt)))
                path.append(nxt)
                on_path.add(nxt)
    return None
