"""Printing results for people, or as JSON with ``--json``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
raw_option = click.option(
    "--raw",
    is_flag=True,
    help="CSV cells exactly as stored, without the apostrophe before formula-like ones.",
)


def setup_django() -> None:
    """Load the settings and Django; a setting that cannot be used is a one-line error."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "goteo.settings")
    import django

    from goteo.config import ConfigError

    try:
        django.setup()
    except ConfigError as exc:
        fail(f"configuration: {exc}")


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def emit(data: Any, as_json: bool, human: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_default))
    else:
        human()


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    cells = [[str(c) for c in headers], *[[("" if c is None else str(c)) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))


def fail(message: str, details: dict[str, str] | None = None, as_json: bool = False) -> None:
    """Print an error (to stderr, or as JSON) and exit with status 1."""
    if as_json:
        click.echo(json.dumps({"error": message, "fields": details or {}}, ensure_ascii=False))
    else:
        click.secho(f"error: {message}", fg="red", err=True)
        for key, text in (details or {}).items():
            click.echo(f"  {key}: {text}", err=True)
    raise SystemExit(1)


def read_document(path: str) -> str:
    """A campaign or form file's text; exits with a clear error if it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")
        raise  # unreachable: fail exits


def listed_problems(problems: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"line": p.line, "path": p.path, "message": p.message} for p in problems]


def refuse_document(
    path: str, problems: Sequence[Any], as_json: bool, warnings: Sequence[Any] = ()
) -> None:
    """Print every problem of a refused document (path and line each), then its warnings,
    and exit with status 1."""
    listed = listed_problems(problems)
    if as_json:
        report = {"valid": False, "file": path, "problems": listed}
        emit(report | {"warnings": listed_problems(warnings)}, True, lambda: None)
    else:
        click.secho(f"{path}: refused, {len(listed)} problem(s):", fg="red", err=True)
        for problem in problems:
            click.echo(f"  {path}:{problem}", err=True)
        show_warnings(path, warnings, lead="and ")
    raise SystemExit(1)


def show_warnings(path: str, warnings: Sequence[Any], lead: str = "") -> None:
    """A document's warnings, each with its line, on stderr (nothing when there are none)."""
    if warnings:
        click.secho(f"{lead or path + ': '}{len(warnings)} warning(s):", fg="yellow", err=True)
        for warning in warnings:
            click.echo(f"  {path}:{warning}", err=True)
