"""``goteo scoring`` (apply, validate, show, rescore) and ``goteo leads hot``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from goteo.cli.output import (
    emit,
    fail,
    json_option,
    read_document,
    refuse_document,
    setup_django,
    table,
)

now_option = click.option(
    "--now",
    "at",
    default=None,
    metavar="TIME",
    help="Evaluate as of this ISO 8601 time instead of the current time (for simulations).",
)


def _now(at: str | None) -> datetime:
    if at is None:
        from goteo.engine.clock import SystemClock

        return SystemClock().now()
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        fail("bad --now", {"now": f"{at!r} is not an ISO 8601 time"})
        raise
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@click.group()
def scoring() -> None:
    """Lead scoring rules as code: a YAML or JSON document."""


@scoring.command()
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
def validate(file: str, as_json: bool) -> None:
    """Check a scoring rules file; print every problem with its path and line."""
    from goteo.engine.scoring_parser import ScoringInvalid, parse_scoring

    try:
        rules = parse_scoring(read_document(file))
    except ScoringInvalid as exc:
        refuse_document(file, exc.problems, as_json)
        return
    info = {"valid": True, "file": file, "rules": len(rules.rules), "owners": len(rules.owners)}
    emit(info, as_json, lambda: click.echo(f"{file}: valid ({len(rules.rules)} rules)"))


@scoring.command()
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
def apply(file: str, as_json: bool) -> None:
    """Store the scoring rules; they apply to the events recorded from then on."""
    setup_django()
    from goteo.actions.scoring import do_apply_scoring
    from goteo.engine.scoring_parser import ScoringInvalid

    try:
        result = do_apply_scoring(read_document(file))
    except ScoringInvalid as exc:
        refuse_document(file, exc.problems, as_json)
        return
    info = {"outcome": result.outcome, "rules": len(result.rules.rules)}
    emit(info, as_json, lambda: click.echo(f"scoring: {result.outcome}"))


@scoring.command()
@json_option
def show(as_json: bool) -> None:
    """Print the applied scoring rules, as they were written."""
    setup_django()
    from goteo.actions.scoring import scoring_source

    source = scoring_source()
    if source is None:
        fail("no scoring rules applied (goteo scoring apply FILE)", as_json=as_json)
        return
    emit({"source": source}, as_json, lambda: click.echo(source, nl=not source.endswith("\n")))


@scoring.command()
@now_option
@json_option
def rescore(at: str | None, as_json: bool) -> None:
    """Decay every score to now and re-check the threshold (after changing the rules)."""
    setup_django()
    from goteo.actions.scoring import do_rescore

    result = do_rescore(_now(at))
    info = {"contacts": result.contacts, "hot": result.hot, "cold": result.cold}
    summary = f"rescored {result.contacts} contacts: {result.hot} became hot"
    emit(info, as_json, lambda: click.echo(f"{summary}, {result.cold} went cold"))


@click.group()
def leads() -> None:
    """Leads handed over to sales."""


@leads.command()
@click.option("--owner", default=None, help="Only the leads of this salesperson (email).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@now_option
@json_option
def hot(owner: str | None, limit: int, at: str | None, as_json: bool) -> None:
    """Hot leads, highest current score first."""
    setup_django()
    from goteo.actions.scoring import hot_leads

    rows = hot_leads(_now(at), owner, limit)
    emit(rows, as_json, lambda: _print(rows))


def _print(rows: list[dict[str, Any]]) -> None:
    if not rows:
        click.echo("no hot leads")
        return
    table(
        [
            [
                r["email"],
                f"{r['score']:.1f}",
                r["owner"] or "-",
                _short(r["hot_at"]),
                _short(r["last_activity"]),
            ]
            for r in rows
        ],
        ["email", "score", "owner", "hot since", "last activity"],
    )


def _short(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value is not None else "-"
