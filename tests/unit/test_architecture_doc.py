"""docs/architecture.md names every module of ``src/goteo``, and only modules that exist.

A module is named by its path under ``src/goteo`` (``worker/claims.py``), so a reader can find
it; migrations and ``__init__.py`` files need no entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "goteo"
PAGE = ROOT / "docs" / "architecture.md"
# A backquoted module path, such as `channels/email/smtp.py`.
NAMED = re.compile(r"`((?:[a-z_]+/)*[a-z_]+\.py)`")


def modules(source: Path) -> list[str]:
    """Every module under ``source`` as ``package/module.py``, but migrations and packages."""
    return sorted(
        path.relative_to(source).as_posix()
        for path in source.rglob("*.py")
        if path.name != "__init__.py" and "migrations" not in path.relative_to(source).parts
    )


def unnamed(names: Iterable[str], page: str) -> list[str]:
    """The modules ``page`` does not name by their whole path."""
    named = set(NAMED.findall(page))
    return [name for name in names if name not in named]


def stale(page: str, source: Path) -> list[str]:
    """Module paths ``page`` names that do not exist under ``source`` (tests are elsewhere)."""
    return sorted(
        name
        for name in set(NAMED.findall(page))
        if not name.startswith(("tests/", "benchmarks/")) and not (source / name).is_file()
    )


def test_every_module_is_named_in_the_architecture_page() -> None:
    missing = unnamed(modules(SOURCE), PAGE.read_text(encoding="utf-8"))
    assert not missing, "docs/architecture.md does not name: " + ", ".join(missing)


def test_the_architecture_page_names_no_module_that_does_not_exist() -> None:
    gone = stale(PAGE.read_text(encoding="utf-8"), SOURCE)
    assert not gone, "docs/architecture.md names modules that do not exist: " + ", ".join(gone)


def test_a_module_counts_as_named_only_by_its_whole_path(tmp_path: Path) -> None:
    for name in ("worker/loop.py", "worker/migrations/0001_initial.py", "web/__init__.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert modules(tmp_path) == ["worker/loop.py"]
    page = "the loop (`loop.py`), see worker/loop.py and `other/worker/loop.py`"
    assert unnamed(modules(tmp_path), page) == ["worker/loop.py"]
    assert unnamed(modules(tmp_path), "the loop (`worker/loop.py`)") == []
    assert stale("`worker/loop.py`, `worker/gone.py`, `tests/x.py`", tmp_path) == ["worker/gone.py"]
