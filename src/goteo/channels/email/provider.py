"""The email channel: the composer prepares, a transport (SMTP or a Django backend) delivers.

Marketing and transactional messages go to the contact; a notification (a ``notify`` step, a
lead hand-off) is an email to a salesperson about the contact, sent to ``context["to"]`` (or
``GOTEO_SALES_ADDRESS``) without unsubscribe headers; a test send goes to its seed address,
marked as a test, with inert unsubscribe and preference links and nothing tracked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.conf import settings

from goteo.campaigns.delivery_kinds import MARKETING, NOTIFICATION, TEST
from goteo.campaigns.test_messages import test_recipient
from goteo.channels.base import (
    Draft,
    EmailChannel,
    OutgoingEmail,
    Prepared,
    PrepareError,
    Ready,
    Result,
)
from goteo.channels.email.composer import Composer
from goteo.contacts.suppression_keys import email_hash
from goteo.content.render import RenderError
from goteo.engine.channel_needs import TRACKING

CAPABILITIES = frozenset({TRACKING})


@dataclass
class EmailProvider:
    transport: EmailChannel
    composer: Composer
    name: str = "email"
    capabilities: frozenset[str] = CAPABILITIES

    def prepare(self, draft: Draft) -> Prepared:
        try:
            message = self.composer.compose(
                draft.delivery_id, draft.campaign, draft.template, draft.locale, draft.contact,
                extra=dict(draft.context), marketing=draft.kind == MARKETING,
                test=draft.kind == TEST,
            )  # fmt: skip
        except RenderError as exc:
            raise PrepareError(str(exc)) from exc
        if draft.kind == NOTIFICATION:
            message = self._to_staff(message, str(draft.context.get("to") or ""))
        elif draft.kind == TEST:  # to the seed address, checked against the suppression list
            message = replace(message, to_addr=test_recipient(draft.context), to_name="")
        return Prepared(
            draft.delivery_id,
            message,
            to_address=message.to_addr,
            address_hash=None if draft.kind == NOTIFICATION else email_hash(message.to_addr),
            subject=message.subject,
            message_id=message.message_id,
            links=message.links,
        )

    def _to_staff(self, message: OutgoingEmail, to: str) -> OutgoingEmail:
        to = to or settings.GOTEO_SALES_ADDRESS  # for contacts with no owner
        if not to:
            raise PrepareError(
                "notification to the contact's owner, but the contact has no owner "
                "and GOTEO_SALES_ADDRESS is not set"
            )
        return replace(message, to_addr=to, to_name="", headers={})

    def deliver(self, message: Prepared) -> Result:
        assert isinstance(message.payload, OutgoingEmail)
        return self.transport.send(message.payload)

    def deliver_when(self, message: Prepared, ready: Ready) -> Result | None:
        """SMTP sends the envelope while the gate decides (``base.deliver_when_ready``)."""
        assert isinstance(message.payload, OutgoingEmail)
        send_when = getattr(self.transport, "send_when", None)
        if send_when is not None:
            result: Result | None = send_when(message.payload, ready)
            return result
        return self.transport.send(message.payload) if ready() else None

    def close(self) -> None:
        self.transport.close()
