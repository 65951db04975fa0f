"""The three roles of the web app, kept as Django groups of the same names.

admin: everything, including users, API keys and settings; editor: campaigns, messages,
contacts and forms; viewer: reads only.
"""

from __future__ import annotations

from typing import Any

ADMIN, EDITOR, VIEWER = "admin", "editor", "viewer"
ROLES = (ADMIN, EDITOR, VIEWER)


def role_of(user: Any) -> str | None:
    """The user's role, or None for an anonymous user or one without a role."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    names = {g.name for g in user.groups.all()}
    return next((r for r in ROLES if r in names), None)


def can_edit(role: str | None) -> bool:
    """Campaigns, messages, contacts and forms."""
    return role in (ADMIN, EDITOR)


def can_manage(role: str | None) -> bool:
    """Users, API keys and settings."""
    return role == ADMIN
