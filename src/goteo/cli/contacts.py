"""``goteo contacts`` (add, import, export) and ``goteo enroll``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from goteo.cli.output import emit, fail, json_option, raw_option, setup_django


@click.group()
def contacts() -> None:
    """The people campaigns reach."""


def _subscribe(ids: list[int], topic: str | None) -> dict[str, int]:
    if not topic:
        return {}
    from goteo.actions.subscriptions import do_subscribe
    from goteo.engine.clock import SystemClock

    reports = do_subscribe(ids, topic, SystemClock().now())
    return {key: r.enrolled for key, r in reports.items()}


@contacts.command()
@click.argument("email")
@click.option("--first-name")
@click.option("--last-name")
@click.option("--locale", help="Language, like es or fr-CA.")
@click.option("--timezone", help="Like Europe/Madrid.")
@click.option("--phone", help="Like +34612345678 (stored in E.164).")
@click.option("--attr", "attrs", multiple=True, metavar="NAME=VALUE", help="A free attribute.")
@click.option("--subscribe", metavar="TOPIC", help="Subscribe to a list; fires its campaigns.")
@json_option
def add(
    email: str,
    first_name: str | None,
    last_name: str | None,
    locale: str | None,
    timezone: str | None,
    phone: str | None,
    attrs: tuple[str, ...],
    subscribe: str | None,
    as_json: bool,
) -> None:
    """Add a contact, or update the one with this email."""
    setup_django()
    from goteo.actions.contacts import do_upsert_contact
    from goteo.actions.errors import ActionError

    data: dict[str, object] = {
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "locale": locale,
        "timezone": timezone,
        "phone": phone,
    }
    attributes = {}
    for pair in attrs:
        name, sep, value = pair.partition("=")
        if not sep:
            fail("bad attribute", {"attr": f"{pair!r} must be NAME=VALUE"}, as_json)
        attributes[name.strip()] = value
    data["attributes"] = attributes
    try:
        result = do_upsert_contact({k: v for k, v in data.items() if v is not None})
    except ActionError as exc:
        fail(exc.message, exc.fields, as_json)
        return
    enrolled = _subscribe([result.contact.id], subscribe)
    c = result.contact
    info = {"id": c.id, "email": c.email, "created": result.created, "enrolled": enrolled}
    emit(
        info,
        as_json,
        lambda: click.echo(
            f"{c.email}: {'created' if result.created else 'updated'}"
            + "".join(f", enrolled in {k}" for k, n in enrolled.items() if n)
        ),
    )


@contacts.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--subscribe", metavar="TOPIC", help="Subscribe everyone imported to a list.")
@click.option("--raw", is_flag=True, help="Take cells as they are (a file exported with --raw).")
@json_option
def import_(file: str, subscribe: str | None, raw: bool, as_json: bool) -> None:
    """Import a CSV (email, first_name, last_name, locale, timezone, other columns = attributes).

    Bad rows are reported with their line numbers; good rows go in. Re-importing updates.
    The apostrophe an export puts before a formula-like cell ('=1) is taken away.
    """
    setup_django()
    from goteo.actions.errors import ActionError
    from goteo.actions.importing import do_import_csv
    from goteo.contacts.models import Contact

    path = Path(file)
    with path.open("rb") as lines:
        total = max(sum(1 for _ in lines) - 1, 0)
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            show = not as_json and sys.stderr.isatty() and total > 1000
            with click.progressbar(
                length=total, label="importing", file=sys.stderr, hidden=not show
            ) as bar:
                report = do_import_csv(stream, progress=bar.update, raw=raw)
    except (ActionError, UnicodeDecodeError) as exc:
        fields = exc.fields if isinstance(exc, ActionError) else {"file": "not UTF-8 text"}
        fail(str(getattr(exc, "message", "cannot read file")), fields, as_json)
        return
    ids = list(Contact.objects.filter(email__in=report.emails).values_list("id", flat=True))
    enrolled = _subscribe(ids, subscribe)
    info = {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "errors": [{"line": ln, "message": m} for ln, m in report.errors],
        "repeated": [
            {"line": r.line, "repeats": r.first_line, "email": r.email, "message": r.message}
            for r in report.repeats
        ],
        "enrolled": enrolled,
    }

    def human() -> None:
        repeated = f"{len(report.repeats)} repeated, " if report.repeats else ""
        click.echo(
            f"{report.imported} imported ({report.created} new, {report.updated} updated, "
            f"{report.unchanged} unchanged), {repeated}{len(report.errors)} rejected"
        )
        notes = [*report.errors, *((r.line, r.message) for r in report.repeats)]
        for line, message in sorted(notes):
            click.echo(f"  line {line}: {message}", err=True)

    emit(info, as_json, human)
    if report.errors:
        raise SystemExit(2)


@contacts.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@raw_option
def export(fmt: str, as_json: bool, raw: bool) -> None:
    """Write every contact to standard output (CSV, or JSON lines).

    CSV cells a spreadsheet would run as formulas (=, +, -, @, tab, CR first) get a leading
    apostrophe, which ``goteo contacts import`` takes away again; --raw writes them as stored.
    """
    setup_django()
    from goteo.actions.contact_export import csv_rows, json_rows
    from goteo.contacts.csv_cells import CsvWriter
    from goteo.contacts.models import Contact

    if as_json or fmt == "json":
        for row in json_rows(Contact.objects.all()):
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    writer = CsvWriter(sys.stdout, raw=raw)
    for cells in csv_rows(Contact.objects.all()):
        writer.writerow(cells)


@click.command()
@click.argument("campaign_key")
@click.option("--segment", help="'all', or one filter like locale=es.")
@click.option(
    "--where",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Filter (repeatable, all must hold): = exact, ^= starts with, *= contains, !=.",
)
@click.option(
    "--contact", "emails", multiple=True, metavar="EMAIL", help="One contact (repeatable)."
)
@json_option
def enroll(
    campaign_key: str,
    segment: str | None,
    where: tuple[str, ...],
    emails: tuple[str, ...],
    as_json: bool,
) -> None:
    """Put existing contacts into a campaign, following its re-entry rule."""
    setup_django()
    from goteo.actions.enroll import do_enroll
    from goteo.actions.errors import ActionError
    from goteo.cli.selection import select
    from goteo.engine.clock import SystemClock

    try:
        chosen = select(segment, where, emails)
        known = set(chosen.values_list("email", flat=True)) if emails else set()
        unknown = [e for e in emails if e.strip().lower() not in known]
        if unknown:
            raise ActionError("unknown contacts", {"contact": ", ".join(unknown)})
        ids = list(chosen.values_list("id", flat=True))
        report = do_enroll(campaign_key, ids, SystemClock().now())
    except ActionError as exc:
        fail(exc.message, exc.fields, as_json)
        return
    info = {
        "enrolled": report.enrolled,
        "already_enrolled": report.already_enrolled,
        "inactive": report.inactive,
    }
    emit(
        info,
        as_json,
        lambda: click.echo(
            f"{report.enrolled} enrolled, {report.already_enrolled} skipped by the re-entry rule, "
            f"{report.inactive} not active"
        ),
    )
