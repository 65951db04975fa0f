"""``goteo contacts list``: the contacts a condition matches, a page at a time."""

from __future__ import annotations

import shlex
from typing import Any

import click

from goteo.cli.output import emit, fail, json_option, setup_django, table


@click.command(name="list")
@click.option(
    "--where",
    metavar="CONDITION",
    help="A condition (docs/conditions.md), like '{locale: es, score: {gte: 50}}'.",
)
@click.option("--limit", default=50, show_default=True, help="At most this many (1-1000).")
@click.option("--after", "cursor", metavar="CURSOR", help="The page after this cursor.")
@json_option
def list_(where: str | None, limit: int, cursor: str | None, as_json: bool) -> None:
    """Contacts matching a condition, oldest first; prints how to get the next page."""
    setup_django()
    from goteo.actions.contact_list import list_contacts
    from goteo.actions.errors import ActionError
    from goteo.campaigns import journey_clock

    try:
        page = list_contacts(where, limit, cursor, journey_clock.now())
    except ActionError as exc:
        fail(exc.message, exc.fields, as_json)
        return
    info = {"contacts": page.contacts, "next_cursor": page.next_cursor}
    emit(info, as_json, lambda: _print(info, where, limit))


def _print(info: dict[str, Any], where: str | None, limit: int) -> None:
    rows = info["contacts"]
    if not rows:
        click.echo("no contacts match")
        return
    table(
        [
            [
                c["email"],
                " ".join(p for p in (c["first_name"], c["last_name"]) if p),
                c["status"],
                c["locale"],
                f"{c['score']:g}",
                c["owner"],
                ", ".join(c["tags"]),
            ]
            for c in rows
        ],
        ["email", "name", "status", "locale", "score", "owner", "tags"],
    )
    if info["next_cursor"] is not None:
        again = ["goteo", "contacts", "list"] + (["--where", where] if where else [])
        again += ["--limit", str(limit), "--after", info["next_cursor"]]
        click.echo(f"more: {shlex.join(again)}")
