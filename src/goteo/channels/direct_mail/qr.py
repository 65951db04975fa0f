"""The personal URL and QR code on each mailer: ``GOTEO_BASE_URL/m/<token>``.

The token is signed (``goteo.contacts.tracking_tokens.mail_token``) and names the delivery;
visiting it records a click on that mailer's step and redirects to the step's landing page.
"""

from __future__ import annotations

import segno

from goteo.contacts.tracking_tokens import mail_token

MASK = 2


def personal_url(base_url: str, secret: str, delivery_id: int) -> str:
    """The short URL printed on the mailer (and encoded in its QR code)."""
    return f"{base_url.rstrip('/')}/m/{mail_token(secret, delivery_id)}"


def qr_data_uri(url: str) -> str:
    """An SVG QR code of ``url`` as a data URI, for an ``<img>`` in the mailer's HTML.

    Error correction level M (15 %) survives a smudge or a fold; the quiet zone is kept. The
    mask pattern is fixed (every one of the eight is valid): searching for the best one
    costs more than a tenth of a mailer's whole render.
    """
    return segno.make_qr(url, error="m", mask=MASK).svg_data_uri(border=2, dark="#000")
