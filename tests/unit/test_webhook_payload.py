"""What a webhook step sends of the contact: the same fields whatever other channels read."""

from __future__ import annotations

import json

from goteo.channels.base import Draft
from goteo.channels.webhook import WebhookCall, WebhookProvider
from goteo.content.system import SYSTEM_MESSAGES


def test_a_webhook_sends_the_contact_fields_and_no_phone_or_address() -> None:
    contact = {
        "id": 7, "email": "ana@example.com", "first_name": "Ana", "last_name": "", "locale": "es",
        "timezone": "Europe/Madrid", "attributes": {"plan": "pro"}, "phone": "+34612345678",
        "postal_address": {"city": "Madrid"},
    }  # fmt: skip
    draft = Draft(
        1, "webhook", SYSTEM_MESSAGES, "", "es", contact,
        {"url": "https://crm.example.com/hook", "payload": {"event": "hot"}},
    )  # fmt: skip
    prepared = WebhookProvider().prepare(draft)
    assert isinstance(prepared.payload, WebhookCall)
    sent = json.loads(prepared.payload.body)
    assert sent["event"] == "hot"
    assert set(sent["contact"]) == {
        "id", "email", "first_name", "last_name", "locale", "timezone", "attributes",
    }  # fmt: skip
