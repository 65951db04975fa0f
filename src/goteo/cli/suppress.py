"""``goteo suppress``: the addresses that are never sent to (add, remove, list)."""

from __future__ import annotations

import click

from goteo.cli.output import emit, fail, json_option, setup_django, table

# ``erased`` is written only by erasing a contact.
ADD_REASONS = ["manual", "unsubscribed", "hard_bounce", "soft_bounces", "complaint"]


@click.group()
def suppress() -> None:
    """The suppression list: addresses (kept as hashes) that are never sent to."""


@suppress.command()
@click.argument("address")
@click.option("--reason", type=click.Choice(ADD_REASONS), default="manual", show_default=True)
@click.option("--detail", default="", help="A note kept with the entry.")
@json_option
def add(address: str, reason: str, detail: str, as_json: bool) -> None:
    """Never send to ADDRESS (an email address, or its SHA-256 hash)."""
    setup_django()
    from goteo.actions.errors import ActionError
    from goteo.actions.suppression import do_suppress

    try:
        row = do_suppress(address, reason, detail or "added with goteo suppress add")
    except ActionError as exc:
        fail(exc.message, exc.fields, as_json)
        return
    info = {"hash": row.email_hash, "reason": row.reason}
    emit(info, as_json, lambda: click.echo(f"suppressed ({row.reason}): {row.email_hash}"))


@suppress.command()
@click.argument("address")
@json_option
def remove(address: str, as_json: bool) -> None:
    """Allow sending to ADDRESS again (an erased address stays on the list)."""
    setup_django()
    from goteo.actions.errors import ActionError
    from goteo.actions.suppression import do_unsuppress, suppression_reason

    try:
        removed = do_unsuppress(address)
        left = suppression_reason(address)
    except ActionError as exc:
        fail(exc.message, exc.fields, as_json)
        return
    if left is not None:
        erased = {"address": "it was erased at its request"}
        fail("cannot remove an erased address", erased, as_json)
    emit(
        {"removed": removed},
        as_json,
        lambda: click.echo("removed" if removed else "not on the suppression list"),
    )


@suppress.command(name="list")
@click.argument("address", required=False)
@click.option("--reason", type=click.Choice([*ADD_REASONS, "erased"]), help="Only this reason.")
@click.option("--limit", default=1000, show_default=True)
@json_option
def list_(address: str | None, reason: str | None, limit: int, as_json: bool) -> None:
    """Hashes and reasons, newest first; ADDRESS (hashed first) looks one up."""
    setup_django()
    from goteo.actions.errors import ActionError
    from goteo.actions.suppression import address_hash
    from goteo.contacts.models import Suppression

    rows = Suppression.objects.order_by("-created_at", "-id")
    if address:
        try:
            rows = rows.filter(email_hash=address_hash(address))
        except ActionError as exc:
            fail(exc.message, exc.fields, as_json)
            return
    if reason:
        rows = rows.filter(reason=reason)
    found = list(rows[:limit])
    data = [
        {"hash": r.email_hash, "reason": r.reason, "detail": r.detail, "created_at": r.created_at}
        for r in found
    ]

    def human() -> None:
        if address and not found:
            click.echo("not on the suppression list")
            return
        table(
            [[r.email_hash, r.reason, r.created_at, r.detail[:60]] for r in found],
            ["hash", "reason", "since", "detail"],
        )

    emit(data, as_json, human)
