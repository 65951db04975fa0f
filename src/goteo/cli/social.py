"""``goteo social``: content calendars as code (validate, apply, list)."""

from __future__ import annotations

from pathlib import Path

import click

from goteo.cli.output import emit, json_option, read_document, refuse_document, setup_django, table


@click.group()
def social() -> None:
    """Content calendars: posts scheduled on the organisation's social accounts."""


@social.command()
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
def validate(file: str, as_json: bool) -> None:
    """Check a calendar file (media included); print every problem with its path and line."""
    setup_django()
    from goteo.actions.social_calendars import check_calendar
    from goteo.engine.problems import CampaignInvalid
    from goteo.engine.social_model import occurrences

    try:
        c = check_calendar(read_document(file), Path(file).resolve().parent)
    except CampaignInvalid as exc:
        refuse_document(file, exc.problems, as_json)
        return
    count = len(occurrences(c))
    info = {"valid": True, "file": file, "key": c.key, "posts": len(c.posts), "publications": count}
    emit(
        info,
        as_json,
        lambda: click.echo(f"{file}: valid ({c.key}, {len(c.posts)} posts, {count} publications)"),
    )


@social.command()
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
def apply(file: str, as_json: bool) -> None:
    """Store the calendar (a new version if the file changed) and schedule its posts."""
    setup_django()
    from django.utils import timezone

    from goteo.actions.social_calendars import do_apply_calendar
    from goteo.engine.problems import CampaignInvalid

    try:
        r = do_apply_calendar(read_document(file), Path(file).resolve().parent, timezone.now())
    except CampaignInvalid as exc:
        refuse_document(file, exc.problems, as_json)
        return
    info = {
        "key": r.calendar.key,
        "version": r.version.number,
        "outcome": r.outcome,
        "scheduled": r.scheduled,
        "cancelled": r.cancelled,
        "skipped_past": r.skipped,
    }
    emit(
        info,
        as_json,
        lambda: click.echo(
            f"{r.calendar.key}: {r.outcome} (version {r.version.number}): {r.scheduled} "
            f"scheduled, {r.cancelled} cancelled, {r.skipped} already past (skipped)"
        ),
    )


@social.command(name="list")
@json_option
def list_(as_json: bool) -> None:
    """Calendars with their version, accounts, posts waiting and published, and the next one."""
    setup_django()
    from goteo.social.summaries import calendar_rows

    rows = calendar_rows()
    emit(
        rows,
        as_json,
        lambda: table(
            [
                [
                    r["key"],
                    r["version"],
                    ",".join(r["accounts"]),
                    r["scheduled"],
                    r["published"],
                    r["failed"],
                    r["missed"],
                    r["next_due"] or "-",
                ]
                for r in rows
            ],
            ["key", "version", "accounts", "scheduled", "published", "failed", "missed", "next"],
        ),
    )
