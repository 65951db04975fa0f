"""``goteo user``: the people who sign in to the web app (create, list, set-role)."""

from __future__ import annotations

import sys

import click

from goteo.accounts.roles import ROLES
from goteo.cli.output import emit, fail, json_option, setup_django, table


@click.group(name="user")
def user() -> None:
    """Users of the web app at /app/ and their roles: admin, editor, viewer."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    text: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return text


@user.command()
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@json_option
def create(email: str, role: str, password_stdin: bool, as_json: bool) -> None:
    """Create a user who signs in with EMAIL (the password is asked for, twice)."""
    setup_django()
    from goteo.actions.errors import ActionError
    from goteo.actions.users import do_create_user

    password = _password(password_stdin)
    try:
        created = do_create_user(email, password, role)
    except ActionError as exc:
        fail(exc.message, exc.fields, as_json)
        return
    info = {"email": created.username, "role": role}
    emit(info, as_json, lambda: click.echo(f"created {created.username} ({role})"))


@user.command(name="list")
@json_option
def list_(as_json: bool) -> None:
    """Every user: email, role, whether active, last sign-in."""
    setup_django()
    from goteo.actions.users import user_rows

    rows = user_rows()
    data = [
        {"email": r.email, "role": r.role, "active": r.active, "last_login": r.last_login}
        for r in rows
    ]
    headers = ["email", "role", "active", "last sign-in"]

    def human() -> None:
        table([[r.email, r.role, r.active, r.last_login or "never"] for r in rows], headers)

    emit(data, as_json, human)


@user.command(name="set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@json_option
def set_role(email: str, role: str, as_json: bool) -> None:
    """Give the user with EMAIL another ROLE."""
    setup_django()
    from goteo.actions.errors import ActionError
    from goteo.actions.users import do_set_role

    try:
        changed = do_set_role(email, role)
    except ActionError as exc:
        fail(exc.message, exc.fields, as_json)
        return
    info = {"email": changed.username, "role": role}
    emit(info, as_json, lambda: click.echo(f"{changed.username} is now {role}"))
