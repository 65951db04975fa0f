"""``goteo contacts show``: one contact's card (``goteo.actions.contact_card``), its
exposures by channel and how its paced journeys stand."""

from __future__ import annotations

import json
from typing import Any

import click

from goteo.cli.output import emit, fail, json_option, setup_django, table

FIELDS = ("id", "email", "first_name", "last_name", "locale", "timezone", "status")
LEAD = ("score", "owner", "hot_at", "paused_until", "preferences_url")


@click.command()
@click.argument("email")
@json_option
def show(email: str, as_json: bool) -> None:
    """One contact: fields, attributes, tags, score, owner, subscriptions, consent records,
    journeys, exposures by channel and its preference centre link."""
    setup_django()
    from django.conf import settings
    from django.utils import timezone

    from goteo.actions.contact_card import contact_card
    from goteo.actions.errors import ActionError
    from goteo.campaigns import journey_clock
    from goteo.campaigns.exposure_counts import contact_exposures
    from goteo.campaigns.pace_report import contact_pacing
    from goteo.contacts.tokens import preference_token

    try:
        card = contact_card(email, journey_clock.now())
    except ActionError as exc:
        fail(exc.message, exc.fields, as_json)
        return
    info = card.as_json() | {
        "preferences_url": f"{settings.BASE_URL}/p/{preference_token(card.id)}"
    }
    info["exposures"] = contact_exposures(card.id, timezone.now())
    info["pacing"] = contact_pacing(card.id, journey_clock.now())
    emit(info, as_json, lambda: _print(info))


def _line(name: str, value: object) -> None:
    click.echo(f"{name + ':':17}{'' if value is None else value}")


def _print(info: dict[str, Any]) -> None:
    for name in FIELDS:
        _line(name, info[name])
    attributes = info["attributes"]
    _line("attributes", "" if attributes else "(none)")
    for name, value in sorted(attributes.items()):
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        click.echo(f"  {name}: {shown}")
    _line("tags", ", ".join(info["tags"]) or "(none)")
    for name in LEAD:
        _line(name, info[name] if name != "owner" else info[name] or "(nobody)")
    _line("subscriptions", ", ".join(info["subscriptions"]) or "(none)")
    exposures = info["exposures"]
    channels = ", ".join(f"{c} {n}" for c, n in exposures["by_channel"].items())
    _line("exposures", f"{exposures['total']}{f' ({channels})' if channels else ''}")
    _consents(info["consents"])
    _journeys(info["journeys"])
    _pacing(info["pacing"])


def _consents(consents: list[dict[str, Any]]) -> None:
    if not consents:
        _line("consents", "(none)")
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
            for c in consents
        ],
        ["form", "topics", "ip", "submitted", "confirmed", "text version"],
    )


def _journeys(journeys: list[dict[str, Any]]) -> None:
    if not journeys:
        _line("journeys", "(none)")
        return
    click.echo("journeys:")
    table(
        [
            [
                f"{j['campaign']} v{j['version']}",
                j["status"],
                j["step"] or "",
                j["enrolled_at"],
                j["due_at"] if j["status"] == "active" else j["ended_at"],
                j["end_reason"],
            ]
            for j in journeys
        ],
        ["campaign", "status", "next step", "enrolled", "due / ended", "reason"],
    )


def _pacing(standings: list[dict[str, Any]]) -> None:
    """Each paced journey: on pace, ahead or behind (docs/exposure-pacing.md)."""
    if not standings:
        return
    from goteo.cli.report import touches_text

    click.echo("pacing:")
    table(
        [
            [
                s["campaign"],
                s["target"],
                s["status"],
                s["actual"],
                s["expected"],
                touches_text(s["touches"]),
            ]
            for s in standings
        ],
        ["campaign", "target", "pace", "exposures", "expected by now", "touches"],
    )
