"""What an outbox row is, whatever its channel: the kinds the gate and the reports know."""

from __future__ import annotations

MARKETING = "marketing"  # a campaign's message to the contact: paced, suppressed, consented
TRANSACTIONAL = "transactional"  # asked for by the contact (a confirmation): never paced
NOTIFICATION = "notification"  # to our own staff about the contact: never paced or suppressed
WEBHOOK = "webhook"  # a JSON POST about the contact (webhook steps, CRM hand-off)
KINDS = (MARKETING, TRANSACTIONAL, NOTIFICATION, WEBHOOK)
