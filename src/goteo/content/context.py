"""The values a template sees: ``contact``, ``campaign``, ``message``, two URLs and the address.

The names here are the ones ``goteo.content.checks.NAMESPACE`` accepts; keep them in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The contact a message is shown to when no one is chosen (``goteo simulate``, the web app's
# preview): every optional field missing, so the defaults show.
SAMPLE_CONTACT: Mapping[str, Any] = {
    "id": 0,
    "email": "someone@example.com",
    "first_name": "",
    "last_name": "",
    "locale": "",
    "timezone": "",
    "attributes": {},
}


def contact_context(
    email: str,
    first_name: str,
    last_name: str,
    locale: str,
    timezone: str,
    attributes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``contact`` mapping; ``full_name`` is the first and last names that are present.

    An empty field is left out rather than set to "": ``default`` and ``{% if %}`` treat it as
    missing, validation warns where a template prints it bare, and a strict campaign refuses
    to send "Hi ,".
    """
    first, last = (first_name or "").strip(), (last_name or "").strip()
    optional = {
        "first_name": first,
        "last_name": last,
        "full_name": " ".join(part for part in (first, last) if part),
        "locale": locale or "",
        "timezone": timezone or "",
    }
    present = {name: value for name, value in optional.items() if value}
    return {"email": email, **present, "attributes": dict(attributes or {})}


def render_context(
    contact: Mapping[str, Any],
    *,
    campaign_key: str,
    campaign_name: str,
    message_id: str,
    unsubscribe_url: str,
    base_url: str,
    postal_address: str = "",
    preferences_url: str = "",
) -> dict[str, Any]:
    """The whole render context for one message to one contact."""
    return {
        "contact": contact,
        "campaign": {"key": campaign_key, "name": campaign_name},
        "message": {"id": message_id},
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
        "base_url": base_url,
        "postal_address": postal_address,
    }
