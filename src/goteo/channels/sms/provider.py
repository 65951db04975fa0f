"""The SMS channel's provider: prepare renders the template's text, deliver hands it on.

Capabilities: delivery receipts where the sender reports them (Twilio reports delivered,
failed and undelivered to ``/webhooks/twilio/status/``; the test doubles report nothing), at
most ``MAX_SEGMENTS`` parts per message, and **no idempotency key**: Twilio's Messages API has
none, so a crash (or a lost answer) between Twilio's acceptance and our record can send one
duplicate per in-flight message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from goteo.channels.base import Draft, Permanent, Prepared, PrepareError, Result
from goteo.channels.sms.message import OutgoingSms, SmsSender
from goteo.contacts.phones import phone_hash
from goteo.content.render import RenderError
from goteo.content.sms_render import sms_for_contact
from goteo.content.sms_segments import sms_length
from goteo.engine.channel_needs import DELIVERY_RECEIPTS

CAPABILITIES = frozenset({DELIVERY_RECEIPTS})
MAX_SEGMENTS = 10  # Twilio's advice: longer messages may not arrive whole


@dataclass
class SmsProvider:
    sender: SmsSender
    base_url: str  # GOTEO_BASE_URL: the status callbacks come back here
    name: str = "sms"
    max_segments: int = MAX_SEGMENTS
    capabilities: frozenset[str] = field(init=False, default=CAPABILITIES)

    def __post_init__(self) -> None:
        self.capabilities = CAPABILITIES if self.sender.receipts else frozenset()

    def prepare(self, draft: Draft) -> Prepared:
        # No number: the gate suppresses the message ("no phone number"), so it is never sent.
        phone = str(draft.contact.get("phone") or "")
        try:
            body = sms_for_contact(
                draft.campaign, draft.template, draft.locale, draft.contact,
                base_url=self.base_url, message_id=str(draft.delivery_id), extra=draft.context,
            )  # fmt: skip
        except RenderError as exc:
            raise PrepareError(str(exc)) from exc
        if not body:
            raise PrepareError(f"template {draft.template!r} renders to an empty SMS")
        segments = sms_length(body).segments
        callback = f"{self.base_url}/webhooks/twilio/status/?d={draft.delivery_id}"
        sms = OutgoingSms(draft.delivery_id, phone, body, segments, callback)
        return Prepared(
            draft.delivery_id,
            sms,
            to_address=phone,
            address_hash=phone_hash(phone) if phone else None,
            subject=body[:80],  # what the outbox shows of it
            segments=segments,
        )

    def deliver(self, message: Prepared) -> Result:
        assert isinstance(message.payload, OutgoingSms)
        sms = message.payload
        if not sms.to:
            return Permanent(sms.delivery_id, "the contact has no phone number")
        if sms.segments > self.max_segments:
            return Permanent(
                sms.delivery_id,
                f"{sms.segments} segments; this provider sends at most {self.max_segments}",
            )
        return self.sender.send(sms)

    def close(self) -> None:
        self.sender.close()
