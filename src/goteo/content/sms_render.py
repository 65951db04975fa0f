"""Render an SMS template (its ``text``) for one contact: plain text, nothing escaped.

The variant is the contact's locale, else the campaign's default, as for email. A missing
value printed without ``default`` raises ``RenderError``: an SMS never goes out half-filled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liquid.exceptions import LiquidError

from goteo.content.liquid_env import TEXT_ENV
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
        body = TEXT_ENV.from_string(source, name=f"{name}/{used}/text").render(**context)
    except LiquidError as exc:
        raise RenderError(f"template {name!r} ({used}) text: {exc.message}") from exc
    return body.strip()
