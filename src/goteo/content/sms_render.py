"""Render an SMS template (its ``text``) for one contact: plain text, nothing escaped.

The variant is the contact's locale, else the campaign's default, as for email. A missing
value printed without ``default`` raises ``RenderError``: an SMS never goes out half-filled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liquid.exceptions import LiquidError

from goteo.content.context import contact_context, render_context
from goteo.content.liquid_env import environment_for
from goteo.content.render import RenderError
from goteo.engine.model import Campaign


def sms_source(campaign: Campaign, name: str, locale: str) -> tuple[str, str]:
    """(the locale used, the template's text) for ``locale``, else the default locale."""
    by_locale = campaign.templates.get(name)
    if by_locale is None:
        raise RenderError(f"campaign {campaign.key!r} has no template {name!r}")
    for candidate in (locale, campaign.default_locale):
        variant = by_locale.get(candidate)
        if variant is not None and variant.text is not None:
            return candidate, variant.text
    raise RenderError(f"template {name!r} of campaign {campaign.key!r} has no SMS text")


def render_sms(campaign: Campaign, name: str, locale: str, context: Mapping[str, Any]) -> str:
    used, source = sms_source(campaign, name, locale)
    try:
        body = (
            environment_for("text", strict=campaign.strict)
            .from_string(source, name=f"{name}/{used}/text")
            .render(**context)
        )
    except LiquidError as exc:
        raise RenderError(f"template {name!r} ({used}) text: {exc.message}") from exc
    return body.strip()


def sms_for_contact(
    campaign: Campaign,
    name: str,
    locale: str,
    contact: Mapping[str, Any],
    *,
    base_url: str,
    message_id: str,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The text one contact (a row of fields: email, names, locale, time zone, attributes)
    receives; ``extra`` is what the step stored with the message (a coupon, the event)."""
    fields = contact_context(
        str(contact.get("email") or ""),
        str(contact.get("first_name") or ""),
        str(contact.get("last_name") or ""),
        str(contact.get("locale") or ""),
        str(contact.get("timezone") or ""),
        contact.get("attributes") or {},
    )
    context = render_context(
        fields,
        campaign_key=campaign.key,
        campaign_name=campaign.name,
        message_id=message_id,
        unsubscribe_url="",  # an SMS is stopped by replying STOP
        base_url=base_url,
    )
    return render_sms(campaign, name, locale, context | dict(extra or {}))
