"""The exposure ledger's vocabulary, shared by the condition language, the writer and reports.

An exposure is one touch that put the product in front of a contact (docs/measurement.md).
Its *channel* says how it reached them; its *kind* says what exactly happened.
"""

from __future__ import annotations

EMAIL, MAIL, SMS, SOCIAL, WEB = "email", "mail", "sms", "social", "web"
CHANNELS = (EMAIL, MAIL, SMS, SOCIAL, WEB)

SENT = "sent"  # an email accepted by the server or provider
IN_HOME = "in_home"  # a mailer's expected in-home date (until the provider reports delivery)
DELIVERED = "delivered"  # a mailer or an SMS the provider reported delivered
QR_VISIT = "qr_visit"  # a mailer's QR code or personal URL followed
VISIT = "visit"  # a tracked visit to a product page the campaign names (exposure_pages)
SOCIAL_PERSONAL = "social_personal"  # a post published to an account the contact follows
SOCIAL_AUDIENCE = "social_audience"  # a post to an audience: counted per post, not per contact
KINDS = (SENT, IN_HOME, DELIVERED, QR_VISIT, VISIT, SOCIAL_PERSONAL)

# What a delivered message of each channel counts as, when its provider says nothing more.
DELIVERY_KINDS = {EMAIL: SENT, MAIL: IN_HOME, SMS: DELIVERED, SOCIAL: SOCIAL_PERSONAL}
# The channels whose message counts only once its provider reports it delivered, where the
# provider reports it (an SMS through Twilio); without receipts it counts when sent.
AT_RECEIPT = frozenset({SMS})

# The "law of 29" report's buckets of exposures before converting: (label, fewest, most),
# most None for open-ended.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1", 1, 1),
    ("2–5", 2, 5),
    ("6–10", 6, 10),
    ("11–20", 11, 20),
    ("21–28", 21, 28),
    ("29+", 29, None),
)


def bucket_of(exposures: int) -> int:
    """The index in ``BUCKETS`` of a number of exposures (at least one)."""
    for i, (_, fewest, most) in enumerate(BUCKETS):
        if exposures >= fewest and (most is None or exposures <= most):
            return i
    raise ValueError(f"{exposures} exposures fall in no bucket")
