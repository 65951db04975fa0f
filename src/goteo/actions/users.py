"""The people who sign in to the web app: create, change role, set a password.

A user is Django's own, named by its email address (also its username), with one role kept as
a group (``goteo.accounts.roles``). Every change is in the audit log; passwords never are.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from goteo.accounts.roles import ROLES, role_of
from goteo.actions.audit import record
from goteo.actions.errors import ActionError
from goteo.contacts.fields import normalize_email


@dataclass(frozen=True)
class UserRow:
    email: str
    role: str | None
    active: bool
    last_login: object


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ActionError("invalid role", {"role": f"{role!r}: use {', '.join(ROLES)}"})
    return role


def _email(email: str) -> str:
    try:
        return normalize_email(email)
    except ValueError as exc:
        raise ActionError("invalid email", {"email": str(exc)}) from None


def _password(password: str, user: User | None = None) -> str:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ActionError("password refused", {"password": " ".join(exc.messages)}) from exc
    return password


def do_create_user(email: str, password: str, role: str) -> User:
    """A new user who can sign in with this email and password."""
    address, chosen = _email(email), check_role(role)
    _password(password)
    with transaction.atomic():
        if User.objects.filter(username=address).exists():
            raise ActionError("user exists", {"email": f"{address} already has an account"})
        user = User.objects.create_user(username=address, email=address, password=password)
        user.groups.set([Group.objects.get_or_create(name=chosen)[0]])
        record("user.create", address, None, {"role": chosen})
    return user


def do_set_role(email: str, role: str) -> User:
    address, chosen = _email(email), check_role(role)
    with transaction.atomic():
        user = _user(address)
        before = role_of(user)
        if before != chosen:
            user.groups.set([Group.objects.get_or_create(name=chosen)[0]])
            record("user.role", address, {"role": before}, {"role": chosen})
    return user


def do_set_password(user: User, password: str) -> User:
    """A new password (after a reset link): sessions signed in with the old one end."""
    _password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record("user.password", user.username, None, None)
    return user


def _user(address: str) -> User:
    user = User.objects.select_for_update().filter(username=address).first()
    if user is None:
        raise ActionError("no such user", {"email": f"{address} has no account"})
    return user


def user_rows() -> list[UserRow]:
    users = User.objects.prefetch_related("groups").order_by("username")
    return [UserRow(u.username, role_of(u), u.is_active, u.last_login) for u in users]
