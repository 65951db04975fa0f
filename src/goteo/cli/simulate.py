"""``goteo simulate``: one contact's timeline on a virtual clock, sending nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import yaml

from goteo.cli.output import (
    emit,
    fail,
    json_option,
    refuse_document,
    setup_django,
    show_warnings,
    table,
)

if TYPE_CHECKING:
    from goteo.channels.email.composer import Composer
    from goteo.engine.commands import Send
    from goteo.engine.exposure_pacing import PaceFacts
    from goteo.engine.model import Campaign


def _events(path: str | None, start: datetime) -> list[Any]:
    from goteo.engine.durations import DurationError, parse_duration
    from goteo.engine.simulate import ContactEvent

    if not path:
        return []
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        fail("bad events file", {"events": " ".join(str(exc).split())})
    if not isinstance(raw, list):
        fail("bad events file", {"events": "must be a list of {at, name}"})
    events = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or "at" not in item or "name" not in item:
            fail("bad events file", {f"events[{i}]": "needs at (2d or a date-time) and name"})
        at = item["at"]
        try:
            when = (
                start + parse_duration(at)
                if isinstance(at, str) and at[-1:].isalpha()
                else _aware(at if isinstance(at, datetime) else datetime.fromisoformat(str(at)))
            )
        except (DurationError, ValueError) as exc:
            fail("bad events file", {f"events[{i}].at": str(exc)})
        properties = item.get("properties") or {}
        if not isinstance(properties, dict):
            fail("bad events file", {f"events[{i}].properties": "must be a mapping"})
        events.append(ContactEvent(when, str(item["name"]), properties))
    return events


def _pace(contact: dict[str, Any]) -> PaceFacts | None:
    """The paced channels a sample contact that names its phone or address can receive
    (None: every one)."""
    from goteo.campaigns.pace_facts import reachable
    from goteo.engine.exposure_pacing import PaceFacts

    if not {"phone", "sms_consent", "postal_address"} & set(contact):
        return None
    base = {"email": "someone@example.com", "phone": "", "sms_consent": "", "postal_address": {}}
    return PaceFacts(reachable(base | contact))


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--contact",
    "contact_json",
    default="{}",
    help='JSON, like \'{"first_name": "Ana", "locale": "es"}\'.',
)
@click.option("--days", default=30.0, show_default=True, help="How far to look ahead.")
@click.option(
    "--events",
    "events_file",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML/JSON list of {at: 3d, name: unsubscribed}.",
)
@click.option("--start", help="Start time (ISO 8601); default now.")
@json_option
def simulate(
    file: str,
    contact_json: str,
    days: float,
    events_file: str | None,
    start: str | None,
    as_json: bool,
) -> None:
    """Show what one contact would receive, when, and in which language."""
    setup_django()

    from goteo.actions.coupons import sample_coupon
    from goteo.campaigns.versions import check_document
    from goteo.channels.email.composer import Composer, sender_from_settings
    from goteo.content.context import SAMPLE_CONTACT
    from goteo.content.render import RenderError
    from goteo.engine.advance import ContactView
    from goteo.engine.problems import CampaignInvalid
    from goteo.engine.simulate import simulate as run
    from goteo.engine.window import zone

    try:
        campaign, warnings = check_document(Path(file).read_text(encoding="utf-8"))
    except CampaignInvalid as exc:
        refuse_document(file, exc.problems, as_json, exc.warnings)
        return
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
        return
    try:
        contact = json.loads(contact_json)
    except ValueError as exc:
        fail("bad option", {"--contact": f"not JSON: {exc}"})
        return
    try:
        begin = _aware(datetime.fromisoformat(start)) if start else datetime.now(UTC)
    except ValueError as exc:
        fail("bad option", {"--start": str(exc)})
        return
    if not isinstance(contact, dict):
        fail("bad option", {"contact": "must be a JSON object"})
    row = dict(SAMPLE_CONTACT) | contact
    view = ContactView(
        locale=row["locale"] or None, timezone=row["timezone"] or None, pace=_pace(contact)
    )
    composer = Composer(sender_from_settings())
    tz = zone(row["timezone"] or None, campaign.timezone)
    entries = []
    for entry in run(campaign, view, begin, days, _events(events_file, begin)):
        item: dict[str, Any] = {
            "at": entry.at,
            "local": entry.at.astimezone(tz).isoformat(),
            "kind": entry.kind,
            "detail": entry.detail,
        }
        if entry.step_id:
            item["step"] = entry.step_id
        entries.append(item)
        if entry.send is not None:
            s = entry.send
            item |= {"channel": s.channel, "template": s.template, "locale": s.locale}
            extra = sample_coupon(s.coupon, entry.at) if s.coupon is not None else {}
            if extra:
                item["coupon"] = extra["coupon"]
            try:
                item["subject"] = _subject(composer, campaign, s, row, extra)
            except RenderError as exc:
                item["subject"], item["error"] = None, str(exc)
    show_warnings(file, warnings)  # on stderr, so --json output stays one document
    emit(entries, as_json, lambda: table(_rows(entries), HEADERS))


def _subject(
    composer: Composer, campaign: Campaign, s: Send, row: dict[str, Any], extra: dict[str, Any]
) -> str:
    """An email's subject, an SMS's text as the contact would read it, or a social step's post
    as it would be published."""
    from django.conf import settings

    from goteo.channels.social.channel import post_text
    from goteo.content.render import one_line
    from goteo.content.sms_render import sms_for_contact

    if s.channel == "sms":
        return sms_for_contact(
            campaign, s.template, s.locale, row,
            base_url=settings.BASE_URL, message_id="0", extra=extra,
        )  # fmt: skip
    if s.channel == "social":
        text = post_text(composer.renderer, campaign, s.template, s.locale)
        return f"post from {s.account}: {one_line(text)}"
    return composer.compose(0, campaign, s.template, s.locale, row, extra=extra).subject


HEADERS = ["when (contact's time)", "what", "step", "locale", "subject or decision"]


def _rows(entries: list[dict[str, Any]]) -> list[list[str]]:
    """One row per entry; a send's coupon and a message that cannot be rendered get a row of
    their own, so a render problem never reads as a subject."""
    rows = []
    for e in entries:
        when = e["local"][:16].replace("T", " ")
        step, locale = e.get("step", ""), e.get("locale", "")
        if "error" in e:
            rows.append([when, "not sent", step, locale, f"cannot render: {e['error']}"])
        else:
            what = f"touch {e['channel']}" if e["kind"] == "touch" else e["kind"]
            rows.append([when, what, step, locale, e.get("subject") or e["detail"]])
        if "coupon" in e:
            coupon = e["coupon"]
            terms = ", ".join(
                t
                for t in (
                    coupon.get("discount"),
                    coupon.get("expires_on") and f"until {coupon['expires_on']}",
                )
                if t
            )
            rows.append(
                [
                    when,
                    "coupon",
                    step,
                    "",
                    f"{coupon['code']} ({terms})" if terms else coupon["code"],
                ]
            )
    return rows
