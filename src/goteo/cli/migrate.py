"""``goteo migrate``: create or update the tables, say what was applied, make the DKIM key."""

from __future__ import annotations

from typing import Any

import click

from goteo.cli.output import emit, fail, json_option, setup_django


@click.command()
@json_option
def migrate(as_json: bool) -> None:
    """Create or update the database tables, and the DKIM key when mail goes over SMTP."""
    setup_django()
    from django.core.management import call_command

    from goteo.channels.email.dkim_default import choice_from_settings, ensure_generated_key
    from goteo.cli.database import database_label, pending_migrations

    pending = pending_migrations()
    call_command("migrate", verbosity=0, interactive=False)
    dkim = choice_from_settings()
    try:
        generated = ensure_generated_key(dkim)
    except OSError as exc:
        fail(f"cannot write the DKIM key {dkim.key_file}: {exc}", as_json=as_json)
    result = {
        "database": database_label(),
        "applied": [f"{app}.{name}" for app, name in pending],
        "dkim": {"source": str(dkim.source), "key_file": dkim.key_file or None},
        "dkim_key_generated": generated,
    }
    emit(result, as_json, lambda: _print(result, pending))


def _print(result: dict[str, Any], pending: list[tuple[str, str]]) -> None:
    if not pending:
        click.echo(f"{result['database']} is up to date: nothing to apply")
    else:
        click.echo(f"applied {len(pending)} migration(s) to {result['database']}:")
        by_app: dict[str, list[str]] = {}
        for app, name in pending:
            by_app.setdefault(app, []).append(name)
        for app, names in by_app.items():
            click.echo(f"  {app}: {', '.join(names)}")
    if result["dkim_key_generated"]:
        click.echo(
            f"generated a 2048-bit DKIM key, {result['dkim']['key_file']} (mode 0600): the worker"
            " signs what it sends over SMTP with it; publish its record (`goteo dns` prints it)"
            " so receivers can verify the signatures"
        )
