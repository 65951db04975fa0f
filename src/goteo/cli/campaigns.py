"""``goteo campaign``: validate, apply, list, pause, resume, pick-winner, test-send."""

from __future__ import annotations

import click

from goteo.cli.output import (
    emit,
    fail,
    json_option,
    listed_problems,
    read_document,
    refuse_document,
    setup_django,
    show_warnings,
    table,
)
from goteo.cli.test_send import test_send


@click.group()
def campaign() -> None:
    """Campaigns as code: YAML or JSON documents."""


campaign.add_command(test_send)


@campaign.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--strict", is_flag=True, help="Fail (exit status 1) on warnings too, for CI.")
@json_option
def validate(file: str, strict: bool, as_json: bool) -> None:
    """Check a campaign file; print every problem, then every warning, with its line."""
    setup_django()
    from goteo.campaigns.versions import check_document
    from goteo.engine.problems import CampaignInvalid

    try:
        c, warnings = check_document(read_document(file))
    except CampaignInvalid as exc:
        refuse_document(file, exc.problems, as_json, exc.warnings)
        return
    refused = strict and bool(warnings)
    info = {
        "valid": not refused,
        "file": file,
        "key": c.key,
        "steps": len(c.steps),
        "templates": {k: sorted(v) for k, v in c.templates.items()},
        "warnings": listed_problems(warnings),
    }

    def human() -> None:
        steps = f"{len(c.steps)} step{'s' if len(c.steps) != 1 else ''}"
        if refused:
            click.secho(f"{file}: refused by --strict ({c.key}, {steps})", fg="red", err=True)
        else:
            click.echo(f"{file}: valid ({c.key}, {steps})")
        show_warnings(file, warnings)

    emit(info, as_json, human)
    if refused:
        raise SystemExit(1)


@campaign.command()
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
def apply(file: str, as_json: bool) -> None:
    """Create the campaign, or store a new version if the file changed."""
    setup_django()
    from goteo.actions.campaigns import do_apply_campaign
    from goteo.engine.problems import CampaignInvalid

    try:
        result = do_apply_campaign(read_document(file))
    except CampaignInvalid as exc:
        refuse_document(file, exc.problems, as_json, exc.warnings)
        return
    info = {
        "key": result.campaign.key,
        "version": result.version.number,
        "outcome": result.outcome,
        "warnings": listed_problems(result.warnings),
    }

    def human() -> None:
        click.echo(f"{result.campaign.key}: {result.outcome} (version {result.version.number})")
        show_warnings(file, result.warnings)

    emit(info, as_json, human)


@campaign.command(name="list")
@json_option
def list_(as_json: bool) -> None:
    """Campaigns with their status, version and enrollment counts."""
    setup_django()
    from goteo.campaigns.summaries import campaign_rows

    rows = campaign_rows()
    emit(
        rows,
        as_json,
        lambda: table(
            [
                [
                    r["key"],
                    r["status"],
                    r["version"],
                    f"{r['trigger']['kind']}:{r['trigger']['value'] or ''}".rstrip(":"),
                    r["active"],
                    r["enrolled"],
                    r["name"],
                ]
                for r in rows
            ],
            ["key", "status", "version", "trigger", "active", "enrolled", "name"],
        ),
    )


def _set_status(key: str, status: str, as_json: bool) -> None:
    setup_django()
    from goteo.actions.campaigns import do_set_campaign_status
    from goteo.actions.errors import ActionError

    try:
        c = do_set_campaign_status(key, status)
    except ActionError as exc:
        fail(exc.message, exc.fields, as_json)
        return
    emit({"key": c.key, "status": c.status}, as_json, lambda: click.echo(f"{c.key}: {c.status}"))


@campaign.command()
@click.argument("key")
@json_option
def pause(key: str, as_json: bool) -> None:
    """Stop advancing and sending for a campaign (nothing is lost)."""
    _set_status(key, "paused", as_json)


@campaign.command()
@click.argument("key")
@json_option
def resume(key: str, as_json: bool) -> None:
    """Resume a paused campaign."""
    _set_status(key, "active", as_json)


@campaign.command(name="pick-winner")
@click.argument("key")
@click.argument("variant")
@json_option
def pick_winner(key: str, variant: str, as_json: bool) -> None:
    """Decide the campaign's split for VARIANT: new arrivals go there (once; never undone)."""
    setup_django()
    from goteo.actions.errors import ActionError
    from goteo.actions.split_winners import do_pick_winner
    from goteo.campaigns import journey_clock

    try:
        row = do_pick_winner(key, variant, journey_clock.now())
    except ActionError as exc:
        fail(exc.message, exc.fields, as_json)
        return
    said = f"{key}: split {row.step_id} decided for {row.variant}"
    emit(
        {"key": key, "step_id": row.step_id, "variant": row.variant},
        as_json,
        lambda: click.echo(said),
    )
