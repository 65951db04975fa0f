"""The ``goteo`` command."""

from __future__ import annotations

import click

from goteo.cli.api_keys import api_key
from goteo.cli.campaigns import campaign
from goteo.cli.consent import consent
from goteo.cli.contact_list import list_ as list_contacts
from goteo.cli.contact_show import show as show_contact
from goteo.cli.contacts import contacts, enroll
from goteo.cli.coupons import coupons
from goteo.cli.demo import demo
from goteo.cli.dns import dns
from goteo.cli.forms import form
from goteo.cli.gdpr import erase, export_data
from goteo.cli.group import GoteoGroup
from goteo.cli.inbound import inbound
from goteo.cli.migrate import migrate
from goteo.cli.report import report
from goteo.cli.running import outbox, serve, worker
from goteo.cli.scoring import leads, scoring
from goteo.cli.simulate import simulate
from goteo.cli.suppress import suppress


@click.group(cls=GoteoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="goteo")
def main() -> None:
    """Goteo: drip campaigns that never send twice and never lose a message.

    Configuration comes from GOTEO_* environment variables (see docs/configuration.md).
    """


for command in (campaign, contacts, enroll, simulate, serve, worker, migrate, outbox, demo):
    main.add_command(command)
main.add_command(dns)
main.add_command(form)
main.add_command(consent)
contacts.add_command(show_contact)
contacts.add_command(list_contacts)
contacts.add_command(export_data)
contacts.add_command(erase)
main.add_command(suppress)
main.add_command(inbound)
main.add_command(coupons)
main.add_command(report)
main.add_command(scoring)
main.add_command(leads)
main.add_command(api_key)
