"""``goteo contacts show``: one contact, its subscriptions, consent records and exposures."""

from __future__ import annotations

from typing import Any

import click

from goteo.cli.output import emit, fail, json_option, setup_django, table

FIELDS = ("id", "email", "first_name", "last_name", "locale", "timezone", "status")


@click.command()
@click.argument("email")
@json_option
def show(email: str, as_json: bool) -> None:
    """One contact: fields, subscriptions, consent records, exposures by channel and its
    preference centre link."""
    setup_django()
    from django.conf import settings
    from django.utils import timezone

    from goteo.campaigns.exposure_counts import contact_exposures
    from goteo.contacts.consent_export import consent_summary
    from goteo.contacts.fields import normalize_email
    from goteo.contacts.models import Contact
    from goteo.contacts.tokens import preference_token

    try:
        address = normalize_email(email)
    except ValueError as exc:
        fail("not an email address", {"email": str(exc)}, as_json)
        return
    contact = Contact.objects.filter(email=address).first()
    if contact is None:
        fail("no such contact", {"email": f"{email!r} is not a contact"}, as_json)
        return
    info = {name: getattr(contact, name) for name in FIELDS} | {
        "attributes": contact.attributes,
        "paused_until": contact.paused_until,
        "created_at": contact.created_at,
        "preferences_url": f"{settings.BASE_URL}/p/{preference_token(contact.id)}",
    }
    info |= consent_summary(contact.id)
    info["exposures"] = contact_exposures(contact.id, timezone.now())

    emit(info, as_json, lambda: _print(info))


def _print(info: dict[str, Any]) -> None:
    for name in (*FIELDS, "paused_until", "preferences_url"):
        click.echo(f"{name + ':':17}{'' if info[name] is None else info[name]}")
    click.echo(f"{'subscriptions:':17}{', '.join(info['subscriptions']) or '(none)'}")
    exposures = info["exposures"]
    channels = ", ".join(f"{c} {n}" for c, n in exposures["by_channel"].items())
    click.echo(f"{'exposures:':17}{exposures['total']}{f' ({channels})' if channels else ''}")
    if not info["consents"]:
        click.echo(f"{'consents:':17}(none)")
        return
    click.echo("consents:")
    table(
        [
            [
                c["form"],
                " ".join(c["topics"]),
                c["ip"],
                c["submitted_at"],
                c["confirmed_at"],
                (c["consent_version"] or "")[:12],
            ]
            for c in info["consents"]
        ],
        ["form", "topics", "ip", "submitted", "confirmed", "text version"],
    )
