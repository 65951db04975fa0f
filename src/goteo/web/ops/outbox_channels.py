"""What the outbox page shows beside emails: mailers, text messages and social posts, read
from the test-double providers the demo configures (the print-house folder, the SMS folder)
and from the published posts."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from goteo.campaigns.models import Delivery
from goteo.channels.direct_mail.factory import print_house
from goteo.channels.sms.config import sms_sender
from goteo.channels.sms.doubles import FolderSms
from goteo.contacts.phones import masked_phone
from goteo.social.summaries import published_posts

CHANNELS = ("email", "mail", "sms", "social")
SHOWN = 50  # of each channel's own list


def mailers() -> dict[str, Any]:
    """The newest mail deliveries, and whether their pages can be shown (a print-house
    folder keeps the PDF; a print-and-mail API does not give it back)."""
    house = print_house(settings.GOTEO_MAIL_URL) if settings.GOTEO_MAIL_URL else None
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in Delivery.objects.filter(channel="mail")
        .order_by("-id")
        .values(
            "id", "status", "contact__email", "locale", "subject", "to_address",
            "expected_in_home", "last_error",
        )[:SHOWN]
    ]  # fmt: skip
    for row in rows:
        row["image"] = house is not None and house.first_page(row["id"]) is not None
    return {"configured": bool(settings.GOTEO_MAIL_URL), "folder": house is not None, "rows": rows}


def texts() -> dict[str, Any]:
    """The texts an SMS folder keeps, to masked numbers; none for other providers."""
    sender = sms_sender(settings.GOTEO_SMS_URL)
    if not isinstance(sender, FolderSms):
        return {"configured": sender is not None, "folder": False, "rows": []}
    rows = [
        {
            "delivery": sms.delivery_id,
            "to": masked_phone(sms.to),
            "text": sms.body,
            "segments": sms.segments,
        }
        for sms in sender.kept(SHOWN)
    ]
    return {"configured": True, "folder": True, "rows": rows}


def posts() -> list[dict[str, Any]]:
    """The newest published calendar posts; only an http(s) link becomes a link."""
    rows = published_posts(SHOWN)
    for row in rows:
        row["href"] = row["link"] if row["link"].startswith(("https://", "http://")) else ""
        if row["link"]:  # published on its own line after the text: shown in its own column
            row["text"] = row["text"].removesuffix(row["link"]).rstrip()
    return rows
