"""Golden files: a text compared with the copy kept under ``tests/fixtures/golden/``.

A difference fails the test with a unified diff. After a deliberate change, write the new
copies with ``GOTEO_UPDATE_GOLDEN=1 python -m pytest …`` and review them in ``git diff``.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
UPDATE = "GOTEO_UPDATE_GOLDEN"
# Indented lines are list items ("  * …", " 1. …") and nothing else.
_LIST_ITEM = re.compile(r"^(?: +[*+o-] | *\d+\. )")


def assert_golden(name: str, actual: str) -> None:
    """``actual`` must equal the golden file ``name`` (a path under tests/fixtures/golden)."""
    path = GOLDEN / name
    if os.environ.get(UPDATE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    if not path.exists():
        pytest.fail(f"no golden file {path}: run with {UPDATE}=1 to write it, then review it")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=f"golden/{name}",
            tofile="rendered",
        )
        pytest.fail(
            f"the text differs from golden/{name} ({UPDATE}=1 rewrites it):\n" + "".join(diff)
        )


def assert_tidy_text(text: str) -> None:
    """No indented paragraphs, no whitespace-only or trailing-space lines, no empty "()"."""
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        where = f"line {number}: {line!r}"
        assert line == line.rstrip() or line == "-- ", where  # "-- " is the signature mark
        assert not line[:1].isspace() or _LIST_ITEM.match(line), where
        assert "()" not in line, where
    assert "\n\n\n" not in text
    assert text.endswith("\n") and not text.endswith("\n\n")
