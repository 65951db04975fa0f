"""The ``goteo`` group: a setting found unusable while a command runs is a one-line error."""

from __future__ import annotations

from typing import Any

import click

from goteo.cli.output import fail
from goteo.config import ConfigError


class GoteoGroup(click.Group):
    """Turns a ``ConfigError`` (a DKIM key that cannot be read, a missing postal address…)
    into ``error: configuration: …`` on standard error and exit status 1, like the errors
    found while the settings load."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            fail(f"configuration: {exc}")
