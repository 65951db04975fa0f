"""Who is making the changes in progress, for the audit log: set by the caller (the web app
per request, the command line for its whole run), read by ``goteo.actions.audit``. Imports
nothing from Django, so the command line can set it before Django starts."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_ACTOR: contextvars.ContextVar[str] = contextvars.ContextVar("goteo_actor", default="system")


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Record the changes made inside the block as made by ``actor``."""
    token = _ACTOR.set(actor)
    try:
        yield
    finally:
        _ACTOR.reset(token)


def current_actor() -> str:
    return _ACTOR.get()
