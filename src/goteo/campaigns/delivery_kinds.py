"""What an outbox row is, whatever its channel: the kinds the gate and the reports know."""

from __future__ import annotations

MARKETING = "marketing"  # a campaign's message to the contact: paced, suppressed, consented
TRANSACTIONAL = "transactional"  # asked for by the contact (a confirmation): never paced
NOTIFICATION = "notification"  # to our own staff about the contact: never paced or suppressed
WEBHOOK = "webhook"  # a JSON POST about the contact (webhook steps, CRM hand-off)
# A public post from the organisation's account (a social step): no personal data, so no
# personal consent or suppression applies and it is never paced; a paused campaign holds it.
AUDIENCE = "audience"
# A campaign's message as rendered for a sample contact, sent to a seed address to check it:
# never counted, tracked, paced or held; refused only when the seed address is suppressed.
TEST = "test"
KINDS = (MARKETING, TRANSACTIONAL, NOTIFICATION, WEBHOOK, AUDIENCE, TEST)
# channel -> the kind of a campaign step's row on it (marketing unless named here)
STEP_KINDS = {"social": AUDIENCE}
