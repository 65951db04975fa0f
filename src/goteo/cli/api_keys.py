"""``goteo api-key``: keys for the REST API, each limited to its scopes (create, list, revoke)."""

from __future__ import annotations

import click

from goteo.cli.output import emit, fail, json_option, setup_django, table
from goteo.contacts.api_scopes import SCOPES


@click.group(name="api-key")
def api_key() -> None:
    """Keys for the REST API. Only a key's SHA-256 is kept: it is shown once, when created."""


@api_key.command()
@click.option("--name", required=True, help="Who or what uses the key (a note for you).")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(SCOPES),
    help="What the key may do; repeat for several.",
)
@json_option
def create(name: str, scopes: tuple[str, ...], as_json: bool) -> None:
    """Create a key and print it (this is the only time it is shown)."""
    setup_django()
    from django.utils import timezone

    from goteo.actions.api_keys import do_create_api_key
    from goteo.actions.errors import ActionError

    try:
        created = do_create_api_key(name, scopes, timezone.now())
    except ActionError as exc:
        fail(exc.message, exc.fields, as_json)
        return
    row = created.row
    info = {"key": created.key, "prefix": row.prefix, "name": row.name, "scopes": row.scopes}

    def human() -> None:
        click.echo(created.key)
        click.echo(
            f"prefix {row.prefix}, scopes {', '.join(row.scopes)}: keep the key now,"
            " it cannot be shown again",
            err=True,
        )

    emit(info, as_json, human)


@api_key.command(name="list")
@json_option
def list_(as_json: bool) -> None:
    """Every key: prefix, name, scopes, last use and whether it is revoked (never the key)."""
    setup_django()
    from goteo.contacts.models import ApiKey

    rows = list(ApiKey.objects.order_by("created_at", "id"))
    data = [
        {
            "prefix": r.prefix,
            "name": r.name,
            "scopes": r.scopes,
            "created_at": r.created_at,
            "last_used_at": r.last_used_at,
            "revoked_at": r.revoked_at,
        }
        for r in rows
    ]

    def human() -> None:
        table(
            [
                [r.prefix, r.name, ",".join(r.scopes), r.last_used_at or "never", r.revoked_at]
                for r in rows
            ],
            ["prefix", "name", "scopes", "last used", "revoked"],
        )

    emit(data, as_json, human)


@api_key.command()
@click.argument("prefix")
@json_option
def revoke(prefix: str, as_json: bool) -> None:
    """Revoke the key with PREFIX (as shown by ``goteo api-key list``)."""
    setup_django()
    from django.utils import timezone

    from goteo.actions.api_keys import do_revoke_api_key
    from goteo.actions.errors import ActionError

    try:
        row = do_revoke_api_key(prefix, timezone.now())
    except ActionError as exc:
        fail(exc.message, exc.fields, as_json)
        return
    info = {"prefix": row.prefix, "revoked_at": row.revoked_at}
    emit(info, as_json, lambda: click.echo(f"revoked {row.prefix} ({row.name})"))
