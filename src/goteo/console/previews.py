"""One message as a contact would receive it, rendered by the channel's own code.

Email goes through the worker's composer (the same renderer, context, footer and headers;
no open pixel or tracked links, since nothing is sent); an SMS through the SMS renderer with
its segment count; a social post as it would be published; a mailer through the mail
channel's renderer, shown as its PDF's first page. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings

from goteo.campaigns.delivery_kinds import MARKETING
from goteo.channels.base import Draft, PrepareError
from goteo.channels.direct_mail.provider import render_draft
from goteo.channels.email.composer import Composer, sender_from_settings
from goteo.channels.social.channel import post_text
from goteo.console.mailer_pages import first_page
from goteo.content.context import SAMPLE_CONTACT
from goteo.content.render import RenderError
from goteo.content.sms_render import sms_for_contact
from goteo.content.sms_segments import sms_length
from goteo.engine import locales
from goteo.engine.model import Campaign

# Who a message is shown to when no contact is chosen: every optional field missing.
SAMPLE: dict[str, Any] = dict(SAMPLE_CONTACT) | {"phone": "", "postal_address": {}}
CONTACT_FIELDS = tuple(SAMPLE)
# The delivery a previewed mailer's personal URL and QR code name: the largest id a mail token
# carries, which no delivery reaches, so a scan of a printed preview counts for no one.
PREVIEW_MAILER = (1 << 40) - 1


@dataclass(frozen=True)
class Preview:
    locale: str  # the variant shown (the chosen locale, or the one a contact in it gets)
    subject: str = ""
    html: str = ""
    text: str = ""
    segments: int = 0  # an SMS's parts
    encoding: str = ""  # an SMS's: gsm7 or ucs2
    page: str = ""  # a mailer's first page, as a data URI of a PNG
    pages: int = 0  # a mailer's
    error: str = ""  # the message cannot be rendered for this contact: why


def variant_locale(campaign: Campaign, template: str, wanted: str) -> str:
    """The variant a contact whose locale is ``wanted`` gets, as the worker resolves it."""
    return locales.resolve(wanted, campaign.locales(template), campaign.default_locale)


def preview(
    campaign: Campaign,
    template: str,
    channel: str,
    locale: str,
    contact: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> Preview:
    """``extra``: what the step stores with its message (a sample coupon)."""
    used = variant_locale(campaign, template, locale)
    try:
        if channel == "sms":
            text = sms_for_contact(
                campaign,
                template,
                used,
                contact,
                base_url=settings.BASE_URL,
                message_id="0",
                extra=extra,
            )
            length = sms_length(text)
            return Preview(used, text=text, segments=length.segments, encoding=length.encoding)
        if channel == "mail":
            return _mailer(campaign, template, used, contact, extra or {})
        composer = Composer(replace(sender_from_settings(), track_opens=False, track_clicks=False))
        if channel == "social":
            return Preview(used, text=post_text(composer.renderer, campaign, template, used))
        email = composer.compose(0, campaign, template, used, contact, extra=extra)
    except RenderError as exc:
        return Preview(used, error=str(exc))
    return Preview(used, subject=email.subject, html=email.html, text=email.text)


def _mailer(
    campaign: Campaign, template: str, locale: str, contact: dict[str, Any], extra: dict[str, Any]
) -> Preview:
    """The mailer as the mail channel renders it (a contact without a usable address is
    skipped, as at send time), shown as its first page."""
    draft = Draft(PREVIEW_MAILER, MARKETING, campaign, template, locale, contact, extra)
    try:
        mailer, _ = render_draft(draft, sender_from_settings())
    except PrepareError as exc:  # Skip too: no usable postal address
        return Preview(locale, error=str(exc))
    page, pages = first_page(mailer.pdf)
    return Preview(locale, html=mailer.html, page=page, pages=pages)
