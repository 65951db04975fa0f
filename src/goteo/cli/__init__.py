"""The ``goteo`` command."""

from __future__ import annotations

import click

from goteo.cli.campaigns import campaign
from goteo.cli.contacts import contacts, enroll
from goteo.cli.demo import demo
from goteo.cli.running import migrate, outbox, serve, worker
from goteo.cli.simulate import simulate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="goteo")
def main() -> None:
    """Goteo: drip campaigns that never send twice and never lose a message.

    Configuration comes from GOTEO_* environment variables (see docs/configuration.md).
    """


for command in (campaign, contacts, enroll, simulate, serve, worker, migrate, outbox, demo):
    main.add_command(command)
