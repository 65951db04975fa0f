"""From a delivery row to a ready OutgoingEmail: render, personalise, add the headers."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from goteo.channels.base import OutgoingEmail
from goteo.contacts.tokens import unsubscribe_token
from goteo.content.context import contact_context
from goteo.content.render import Renderer
from goteo.engine.model import Campaign


@dataclass(frozen=True)
class Sender:
    """Who sends: the From header, the site's base URL and the secret for Message-IDs."""

    from_addr: str
    base_url: str
    secret: str

    @property
    def domain(self) -> str:
        address = parseaddr(self.from_addr)[1]
        return address.rpartition("@")[2] or "localhost"


def sender_from_settings() -> Sender:
    from django.conf import settings

    return Sender(settings.GOTEO_FROM, settings.BASE_URL, settings.SECRET_KEY)


def message_id(delivery_id: int, sender: Sender) -> str:
    """Deterministic: a resent delivery carries the same Message-ID, so a duplicate shows."""
    mac = hmac.new(sender.secret.encode(), f"delivery:{delivery_id}".encode(), hashlib.sha256)
    return f"<goteo.{delivery_id}.{mac.hexdigest()[:16]}@{sender.domain}>"


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
    ) -> OutgoingEmail:
        """``contact`` is a row with email, names, locale, timezone and attributes.

        ``extra`` adds values for a transactional template (the confirmation link); only
        marketing messages carry the unsubscribe headers.
        """
        unsubscribe_url = f"{self.sender.base_url}/u/{unsubscribe_token(contact['id'])}"
        mid = message_id(delivery_id, self.sender)
        context = {
            "contact": contact_context(
                email=contact["email"],
                first_name=contact["first_name"],
                last_name=contact["last_name"],
                locale=contact["locale"],
                timezone=contact["timezone"],
                attributes=contact["attributes"],
            ),
            "campaign": {"key": campaign.key, "name": campaign.name},
            "message": {"id": mid},
            "unsubscribe_url": unsubscribe_url,
            "base_url": self.sender.base_url,
            **(extra or {}),
        }
        rendered = self.renderer.render(campaign, template, locale, context)
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
            headers=self._headers(campaign, unsubscribe_url) if marketing else {},
        )

    @staticmethod
    def _headers(campaign: Campaign, unsubscribe_url: str) -> dict[str, str]:
        return {
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Goteo-Campaign": campaign.key,
        }
