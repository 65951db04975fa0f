"""``goteo dns``: the DNS records to publish for the sending domain, and a DKIM key to sign with."""

from __future__ import annotations

import textwrap
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

import click

from goteo.cli.output import emit, fail, json_option, setup_django

DEFAULT_SELECTOR = "goteo"


@click.command()
@click.option(
    "--generate-key",
    "key_dir",
    type=click.Path(file_okay=False),
    help="Write a new 2048-bit RSA key pair into this folder (the private key with mode 0600)"
    " and print the DKIM record for it.",
)
@click.option(
    "--selector",
    help=f"DKIM selector. [default: GOTEO_DKIM_SELECTOR, else {DEFAULT_SELECTOR}]",
)
@click.option(
    "--domain", help="Sending domain. [default: GOTEO_DKIM_DOMAIN, else the domain of GOTEO_FROM]"
)
@click.option(
    "--inbound-host",
    help="Host running `goteo inbound`, for the bounce domain's MX record."
    " [default: the host of GOTEO_BASE_URL]",
)
@json_option
def dns(
    key_dir: str | None,
    selector: str | None,
    domain: str | None,
    inbound_host: str | None,
    as_json: bool,
) -> None:
    """Print the SPF, DKIM, DMARC (and bounce MX) records for the sending domain."""
    setup_django()
    from django.conf import settings

    from goteo.channels.email.dkim import generate_key_pair, load_private_key, public_key_record
    from goteo.channels.email.dns_records import sending_domain_records

    selector = selector or settings.GOTEO_DKIM_SELECTOR or DEFAULT_SELECTOR
    domain = domain or settings.GOTEO_DKIM_DOMAIN or _domain_of(settings.GOTEO_FROM)
    if not domain:
        fail("no sending domain: pass --domain or set GOTEO_FROM", as_json=as_json)
    key_file = settings.GOTEO_DKIM_PRIVATE_KEY_FILE
    if key_dir:
        try:
            key_file = str(generate_key_pair(key_dir, selector).resolve())
        except (FileExistsError, OSError) as exc:
            fail(f"cannot write the key: {exc}", as_json=as_json)
    public = public_key_record(load_private_key(key_file)) if key_file else None
    records = sending_domain_records(
        domain=domain,
        selector=selector,
        public_record=public,
        return_path_domain=settings.GOTEO_RETURN_PATH_DOMAIN,
        relay_host=settings.EMAIL_CONFIG.host,
        inbound_host=inbound_host or urlsplit(settings.BASE_URL).hostname or "",
    )
    result: dict[str, Any] = {
        "domain": domain,
        "selector": selector,
        "key_file": key_file or None,
        "generated": bool(key_dir),
        "records": [r.as_dict() for r in records],
    }
    emit(result, as_json, lambda: _print(result, records))


def _domain_of(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2]


def _print(result: dict[str, Any], records: list[Any]) -> None:
    if result["generated"]:
        key_file = result["key_file"]
        click.echo(f"New DKIM key: {key_file} (mode 0600; public half beside it).")
        click.echo("Give the worker these settings:")
        click.echo(f"  GOTEO_DKIM_SELECTOR={result['selector']}")
        click.echo(f"  GOTEO_DKIM_PRIVATE_KEY_FILE={key_file}")
        click.echo(f"  GOTEO_DKIM_DOMAIN={result['domain']}")
        click.echo()
    click.echo(f"Publish these DNS records for {result['domain']}:")
    for record in records:
        click.echo()
        click.echo(f"{record.purpose}")
        click.echo(f"  {record.zone_line()}")
        click.echo(textwrap.fill(record.note, 96, initial_indent="  ", subsequent_indent="  "))
