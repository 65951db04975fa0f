"""``goteo consent export``: the consent records, as CSV or JSON lines."""

from __future__ import annotations

import json
import sys

import click

from goteo.cli.output import fail, raw_option, setup_django


@click.group()
def consent() -> None:
    """Consent records: who agreed to what wording, when, from where."""


@consent.command()
@click.option("--form", "form_key", metavar="KEY", help="Only the records of this form.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of CSV.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV (the default).")
@raw_option
def export(form_key: str | None, as_json: bool, as_csv: bool, raw: bool) -> None:
    """Write every consent record to standard output, oldest first.

    CSV cells a spreadsheet would run as formulas get a leading apostrophe, unless --raw.
    """
    setup_django()
    from goteo.contacts.consent_export import COLUMNS, consent_rows
    from goteo.contacts.csv_cells import CsvWriter
    from goteo.contacts.models import Form

    if as_json and as_csv:
        fail("choose one of --json and --csv")
    if form_key is not None and not Form.objects.filter(key=form_key).exists():
        fail("no such form", {"form": f"{form_key!r} does not exist"}, as_json)
    rows = consent_rows(form_key)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False, default=str))
        return
    writer = CsvWriter(sys.stdout, raw=raw)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in COLUMNS])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
