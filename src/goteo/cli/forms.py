"""``goteo form``: validate, apply, list, snippet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from goteo.cli.output import (
    emit,
    fail,
    json_option,
    read_document,
    refuse_document,
    setup_django,
    table,
)

if TYPE_CHECKING:
    from goteo.contacts.models import Form
    from goteo.engine.problems import Problem


@click.group()
def form() -> None:
    """Public opt-in forms as code: YAML or JSON documents."""


@form.command()
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
def validate(file: str, as_json: bool) -> None:
    """Check a form file; print every problem with its path and line."""
    from goteo.forms.definition import FormInvalid, parse_form

    try:
        d = parse_form(read_document(file))
    except FormInvalid as exc:
        refuse_document(file, exc.problems, as_json)
        return
    info = {
        "valid": True,
        "file": file,
        "key": d.key,
        "topics": d.topic_keys,
        "double_opt_in": d.double_opt_in,
        "warnings": _warnings(d.warnings),
    }
    emit(info, as_json, lambda: _say(f"{file}: valid ({d.key})", file, d.warnings))


def _warnings(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    return [{"line": p.line, "path": p.path, "message": p.message} for p in problems]


def _say(summary: str, file: str, warnings: Sequence[Problem]) -> None:
    """The summary line, then each warning with its line (on stderr)."""
    extra = f", {len(warnings)} warning(s):" if warnings else ""
    click.echo(summary + extra)
    for warning in warnings:
        click.secho(f"  {file}:{warning}", fg="yellow", err=True)


@form.command()
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
def apply(file: str, as_json: bool) -> None:
    """Create the form or update it; a changed consent text is stored as a new version."""
    setup_django()
    from django.conf import settings

    from goteo.actions.forms import do_apply_form
    from goteo.forms.definition import FormInvalid

    try:
        result = do_apply_form(read_document(file))
    except FormInvalid as exc:
        refuse_document(file, exc.problems, as_json)
        return
    key = result.form.key
    info = {
        "key": key,
        "outcome": result.outcome,
        "new_consent_version": result.new_consent_version,
        "url": f"{settings.BASE_URL}/f/{key}",
    }
    info["warnings"] = _warnings(result.definition.warnings)
    extra = ", new consent text version" if result.new_consent_version else ""
    summary = f"{key}: {result.outcome}{extra} ({info['url']})"
    emit(info, as_json, lambda: _say(summary, file, result.definition.warnings))


@form.command(name="list")
@json_option
def list_(as_json: bool) -> None:
    """Forms with their topics, double opt-in setting and consent counts."""
    setup_django()
    from django.conf import settings

    from goteo.contacts.models import Form

    forms = Form.objects.order_by("key").select_related("consent_text")
    rows = [_row(f, settings.BASE_URL) for f in forms]
    emit(
        rows,
        as_json,
        lambda: table(
            [
                [
                    r["key"],
                    ",".join(r["topics"]),
                    _yes(r["double_opt_in"]),
                    r["consents"],
                    r["confirmed"],
                    r["url"],
                ]
                for r in rows
            ],
            ["key", "topics", "double opt-in", "consents", "confirmed", "url"],
        ),
    )


def _yes(value: object) -> str:
    return "yes" if value else "no"


def _row(f: Form, base_url: str) -> dict[str, Any]:
    from goteo.contacts.models import Consent

    consents = Consent.objects.filter(form=f)
    return {
        "key": f.key,
        "name": f.name,
        "locale": f.locale,
        "topics": f.topics,
        "double_opt_in": f.double_opt_in,
        "consent_version": f.consent_text.version if f.consent_text else None,
        "consents": consents.count(),
        "confirmed": consents.filter(confirmed_at__isnull=False).count(),
        "url": f"{base_url}/f/{f.key}",
    }


@form.command()
@click.argument("key")
def snippet(key: str) -> None:
    """Print an HTML form to paste into any page; it posts to GOTEO_BASE_URL/f/KEY/submit."""
    setup_django()
    from goteo.contacts.models import Form
    from goteo.web.public.form_page import snippet_html

    found = Form.objects.select_related("consent_text").filter(key=key).first()
    if found is None:
        fail("no such form", {"form": f"{key!r} does not exist"})
        return
    click.echo(snippet_html(found), nl=False)
