"""Load a YAML or JSON document while remembering the line of every value, by path."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor


@dataclass
class Located:
    """The plain data of a document plus ``lines``: path (``steps[2].wait``) -> line number."""

    data: Any
    lines: dict[str, int] = field(default_factory=dict)
    problems: list[tuple[str, int | None, str]] = field(default_factory=list)
    # path -> (line, style) of each text value: style "|" is a literal block, starting below
    scalars: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    budget: int = 200_000  # nodes; aliases cannot expand a small file into a huge one

    def text_line(self, path: str, n: int) -> int | None:
        """The file line of line ``n`` of the text at ``path``, where it can be known exactly
        (a literal block, or text on one line); else the line of the key."""
        line, style = self.scalars.get(path, (None, None))
        if line is not None and style == "|":
            return line + n
        if line is not None and style in (None, "'", '"') and n == 1:
            return line
        return self.line(path)

    def line(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = _parent(path)
        return self.lines.get("")


def _parent(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def join(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def load(text: str) -> Located:
    """Parse ``text``; a syntax error becomes a problem at its line, never an exception."""
    if text.lstrip().startswith(("{", "[")):
        # JSON: a raw tab can only be whitespace there (JSON strings escape it), but YAML
        # refuses tabs as indentation, so they become spaces (same lines, same columns' count).
        text = text.replace("\t", " ")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        last_line = max(len(text.splitlines()), 1)
        if mark is not None and mark.line + 1 > last_line:
            # Ran off the end (an unclosed quote or bracket): name where it was opened.
            mark = getattr(exc, "context_mark", None) or mark
        line = min(mark.line + 1, last_line) if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        hint = _hint(reason, text, mark)
        return Located(None, problems=[("", line, f"not valid YAML: {reason}{hint}")])
    located = Located(None)
    if root is None:
        located.problems.append(("", 1, "the document is empty"))
        return located
    located.data = _convert(root, "", located, SafeConstructor())
    return located


_QUOTING = " (put quotes around text that contains ': ' or starts with '{', '[', '*' or '&')"
_INDENTING = (
    " (check the indentation: the keys of one mapping start in the same column, and what "
    "belongs to a key is indented further than the key)"
)
_TABS = " (indent with spaces: YAML does not allow tabs)"
# Text before a ':' that makes it the start of a new ``key:``, not part of a value.
_KEY_ONLY = re.compile(r"^\s*(?:-\s+)?[\w.-]+\s*$")


def _hint(reason: str, text: str, mark: yaml.Mark | None) -> str:
    """Say what most likely went wrong: a line indented wrongly, or text that needs quotes."""
    if "found ','" in reason:
        return _QUOTING
    if "'\\t'" in reason:
        return _TABS
    if "expected <block end>" in reason:
        return _INDENTING
    if "mapping values" not in reason:
        return ""
    if mark is not None:
        lines = text.splitlines()
        before = lines[mark.line][: mark.column] if mark.line < len(lines) else ""
        if _KEY_ONLY.match(before):
            # ``key: value`` read as the continuation of the value above: the line is
            # indented further than its siblings.
            return _INDENTING
    return _QUOTING


def _convert(node: yaml.Node, path: str, out: Located, scalars: SafeConstructor) -> Any:
    out.lines.setdefault(path, node.start_mark.line + 1)
    out.budget -= 1
    if out.budget == 0:
        out.problems.append((path, node.start_mark.line + 1, "the document expands too far"))
    if out.budget <= 0:
        return None
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                out.problems.append(
                    (path, key_node.start_mark.line + 1, "merge keys are not supported")
                )
                continue
            key = _convert(key_node, path, out, scalars)
            if not isinstance(key, str | int | bool | float):
                out.problems.append((path, key_node.start_mark.line + 1, "keys must be plain text"))
                continue
            key = str(key) if not isinstance(key, str) else key
            child = join(path, key)
            if key in result:
                out.problems.append((child, key_node.start_mark.line + 1, f"duplicate key {key!r}"))
            # A problem with a key points at the key's line, even when its value is a block
            # starting below it.
            out.lines[child] = key_node.start_mark.line + 1
            result[key] = _convert(value_node, child, out, scalars)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            child = join(path, i)
            out.lines[child] = item.start_mark.line + 1
            items.append(_convert(item, child, out, scalars))
        return items
    if isinstance(node, yaml.ScalarNode):
        out.scalars[path] = (node.start_mark.line + 1, node.style)
    return scalars.construct_object(node, deep=True)
