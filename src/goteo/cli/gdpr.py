"""``goteo contacts export-data`` and ``goteo contacts erase``: a person's data rights."""

from __future__ import annotations

import json

import click

from goteo.cli.output import emit, fail, json_option, setup_django


@click.command(name="export-data")
@click.argument("email")
def export_data(email: str) -> None:
    """Everything stored about one contact, as JSON (access and portability requests)."""
    setup_django()
    from goteo.actions.errors import ActionError
    from goteo.actions.gdpr import do_export_contact

    try:
        data = do_export_contact(email)
    except ActionError as exc:
        fail(exc.message, exc.fields)
        return
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.command()
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
def erase(email: str, yes: bool, as_json: bool) -> None:
    """Erase a contact and everything about them, for good.

    Only a hash of the address stays, on the suppression list (reason ``erased``), so nothing
    is sent to it again unless the person subscribes anew and confirms.
    """
    setup_django()
    from goteo.actions.errors import ActionError
    from goteo.actions.gdpr import do_erase_contact

    if not yes:
        click.confirm(f"Erase {email} and everything about them? This cannot be undone", abort=True)
    try:
        do_erase_contact(email)
    except ActionError as exc:
        fail(exc.message, exc.fields, as_json)
        return
    emit(
        {"erased": True, "suppression": "erased"},
        as_json,
        lambda: click.echo("erased; the address stays suppressed, as a hash"),
    )
