"""From a delivery row to a ready OutgoingEmail: render, personalise, add the headers."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from functools import cached_property
from typing import Any

from goteo.channels.base import OutgoingEmail
from goteo.channels.email import message_ids, verp
from goteo.contacts.tokens import preference_token, unsubscribe_token
from goteo.contacts.tracking_tokens import click_token, open_token
from goteo.content.context import contact_context, render_context
from goteo.content.footer import add_footer
from goteo.content.links import add_pixel, track_links
from goteo.content.render import Rendered, Renderer
from goteo.content.test_notice import SUBJECT_PREFIX, add_test_notice
from goteo.engine.model import Campaign


@dataclass(frozen=True)
class Sender:
    """Who sends: the From header, the site's base URL and the secret for Message-IDs."""

    from_addr: str
    base_url: str
    secret: str
    postal_address: str = ""  # shown in every marketing message (a footer adds it if missing)
    return_path_domain: str = ""  # where bounces and mailto unsubscribes come back
    track_opens: bool = False  # marketing messages get an open pixel (docs/tracking.md)
    track_clicks: bool = False  # and their links go through BASE_URL/l/<token>

    @cached_property  # asked for every message: parsed once
    def domain(self) -> str:
        address = parseaddr(self.from_addr)[1]
        return address.rpartition("@")[2] or "localhost"

    def unsubscribe_mailto(self, contact_id: int) -> str:
        """``mailto:unsubscribe+<id>-<mac>@<domain>?subject=unsubscribe`` for List-Unsubscribe."""
        domain = self.return_path_domain or self.domain
        address = verp.encode("unsubscribe", contact_id, domain, self.secret)
        return f"mailto:{address}?subject=unsubscribe"


def sender_from_settings() -> Sender:
    from django.conf import settings

    return Sender(
        settings.GOTEO_FROM,
        settings.BASE_URL,
        settings.SECRET_KEY,
        postal_address=settings.GOTEO_POSTAL_ADDRESS,
        return_path_domain=settings.GOTEO_RETURN_PATH_DOMAIN,
        track_opens=settings.GOTEO_TRACK_OPENS,
        track_clicks=settings.GOTEO_TRACK_CLICKS,
    )


def message_id(delivery_id: int, sender: Sender) -> str:
    """Deterministic: a resent delivery carries the same Message-ID, so a duplicate shows."""
    return message_ids.message_id(delivery_id, sender.secret, sender.domain)


class Composer:
    def __init__(self, sender: Sender, renderer: Renderer | None = None) -> None:
        self.sender = sender
        self.renderer = renderer or Renderer()

    def compose(
        self,
        delivery_id: int,
        campaign: Campaign,
        template: str,
        locale: str,
        contact: Any,
        *,
        extra: dict[str, Any] | None = None,
        marketing: bool = True,
        test: bool = False,
    ) -> OutgoingEmail:
        """``contact`` is a row with email, names, locale, timezone and attributes.

        ``extra`` adds values for a transactional template (the confirmation link); only
        marketing messages carry the unsubscribe headers. A ``test`` (to a seed address) has
        the footer with links that name no one, a test notice, no tracking and no headers.
        """
        base = self.sender.base_url
        unsubscribe_url = f"{base}/u/{'test' if test else unsubscribe_token(contact['id'])}"
        preferences_url = f"{base}/p/{'test' if test else preference_token(contact['id'])}"
        mid = message_id(delivery_id, self.sender)
        person = contact_context(
            email=contact["email"],
            first_name=contact["first_name"],
            last_name=contact["last_name"],
            locale=contact["locale"],
            timezone=contact["timezone"],
            attributes=contact["attributes"],
        )
        context = render_context(
            person,
            campaign_key=campaign.key,
            campaign_name=campaign.name,
            message_id=mid,
            unsubscribe_url=unsubscribe_url,
            preferences_url=preferences_url,
            base_url=self.sender.base_url,
            postal_address=self.sender.postal_address,
        ) | (extra or {})
        rendered = self.renderer.render(campaign, template, locale, context)
        links: tuple[str, ...] = ()
        if marketing:
            rendered = self._with_footer(rendered, unsubscribe_url, locale)
            rendered, links = self._tracked(rendered, delivery_id)
        elif test:
            rendered = self._as_test(rendered, unsubscribe_url, locale, campaign, contact)
        full_name = " ".join(p for p in (contact["first_name"], contact["last_name"]) if p)
        return OutgoingEmail(
            delivery_id=delivery_id,
            message_id=mid,
            from_addr=self.sender.from_addr,
            to_addr=contact["email"],
            to_name=full_name,
            subject=rendered.subject,
            html=rendered.html,
            text=rendered.text,
            headers=self._headers(campaign, unsubscribe_url, contact["id"]) if marketing else {},
            # A test's bounce names no delivery: it never touches the sample contact.
            return_path="" if test else self._return_path(delivery_id),
            links=links,
        )

    def _return_path(self, delivery_id: int) -> str:
        """``bounces+<id>-<mac>@GOTEO_RETURN_PATH_DOMAIN``: a bounce names its delivery."""
        domain = self.sender.return_path_domain
        return verp.encode("bounces", delivery_id, domain, self.sender.secret) if domain else ""

    def _with_footer(self, rendered: Rendered, unsubscribe_url: str, locale: str) -> Rendered:
        """The unsubscribe link and postal address, added where the template left them out."""
        html, text = add_footer(
            rendered.html,
            rendered.text,
            unsubscribe_url=unsubscribe_url,
            postal_address=self.sender.postal_address,
            locale=locale,
        )
        return Rendered(subject=rendered.subject, html=html, text=text)

    def _as_test(
        self,
        rendered: Rendered,
        unsubscribe_url: str,
        locale: str,
        campaign: Campaign,
        contact: Any,
    ) -> Rendered:
        footed = self._with_footer(rendered, unsubscribe_url, locale)
        html, text = add_test_notice(
            footed.html, footed.text, locale=locale, campaign=campaign.name,
            contact=contact["email"],
        )  # fmt: skip
        return Rendered(subject=SUBJECT_PREFIX + rendered.subject, html=html, text=text)

    def _tracked(self, rendered: Rendered, delivery_id: int) -> tuple[Rendered, tuple[str, ...]]:
        """Links through ``/l/<token>`` and an open pixel, as configured (docs/tracking.md).

        The unsubscribe and preference links stay as they are, so one-click unsubscribe and
        the footer keep working without the tracking redirect."""
        html, text = rendered.html, rendered.text
        links: tuple[str, ...] = ()
        base, secret = self.sender.base_url, self.sender.secret
        if self.sender.track_clicks:
            own = tuple(f"{base}/{kind}/" for kind in ("u", "p", "l", "o"))
            tracked = track_links(
                html,
                text,
                tracking_url=lambda index: f"{base}/l/{click_token(secret, delivery_id, index)}",
                keep=lambda url: url.startswith(own),
            )
            html, text, links = tracked.html, tracked.text, tracked.links
        if self.sender.track_opens:
            html = add_pixel(html, f"{base}/o/{open_token(secret, delivery_id)}")
        return Rendered(subject=rendered.subject, html=html, text=text), links

    def _headers(self, campaign: Campaign, unsubscribe_url: str, contact_id: int) -> dict[str, str]:
        mailto = self.sender.unsubscribe_mailto(contact_id)
        return {
            "List-Unsubscribe": f"<{unsubscribe_url}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Goteo-Campaign": campaign.key,
        }
