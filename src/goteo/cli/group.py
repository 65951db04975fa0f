"""The ``goteo`` group: an unusable setting or database met while a command runs is one line."""

from __future__ import annotations

from typing import Any

import click

from goteo.cli.database import explained_database_errors
from goteo.cli.output import fail
from goteo.config import ConfigError


class GoteoGroup(click.Group):
    """Turns a ``ConfigError`` (a DKIM key that cannot be read, a missing postal address…)
    into ``error: configuration: …`` on standard error and exit status 1, like the errors
    found while the settings load; and a database that is not set up (or cannot be reached)
    into one line saying so, such as ``error: the database is not set up: run `goteo migrate```."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with explained_database_errors():
                return super().invoke(ctx)
        except ConfigError as exc:
            fail(f"configuration: {exc}")
