"""Signed tokens for open pixels and tracked links: which delivery, which of its links.

A click token is ``base64url(delivery id, link index) + base64url(MAC)`` with the MAC the first
96 bits of HMAC-SHA256 under the secret; an open token carries the delivery id only, under a
different purpose string, so one kind can never be passed off as the other. Reading a token
accepts only the exact canonical spelling of one of exactly the right length: a character
flipped, added or removed anywhere, or a MAC copied from another token, reads as ``None``.

A mail token (the short personal URL printed on a mailer) is lower-case base32 of a 40-bit
delivery id and a 64-bit MAC under its own purpose string, 21 characters, read as strictly.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass

MAC_BYTES = 12  # 96 bits
_CLICK = struct.Struct(">QH")  # delivery id, link index
_OPEN = struct.Struct(">Q")  # delivery id
MAX_LINK_INDEX = 0xFFFF
_CLICK_LENGTH = len(base64.urlsafe_b64encode(bytes(_CLICK.size + MAC_BYTES)).rstrip(b"="))
_OPEN_LENGTH = len(base64.urlsafe_b64encode(bytes(_OPEN.size + MAC_BYTES)).rstrip(b"="))


@dataclass(frozen=True)
class ClickToken:
    delivery_id: int
    index: int


def click_token(secret: str, delivery_id: int, index: int) -> str:
    """The token of link ``index`` (0-based) of delivery ``delivery_id``."""
    if not 0 <= index <= MAX_LINK_INDEX:
        raise ValueError(f"link index {index} out of range")
    return _sign(secret, b"goteo.click", _CLICK.pack(delivery_id, index))


def open_token(secret: str, delivery_id: int) -> str:
    """The token of delivery ``delivery_id``'s open pixel."""
    return _sign(secret, b"goteo.open", _OPEN.pack(delivery_id))


def read_click_token(secret: str, token: str) -> ClickToken | None:
    """The delivery and link a genuine click token names; None for anything else."""
    payload = _verify(secret, b"goteo.click", token, _CLICK.size, _CLICK_LENGTH)
    if payload is None:
        return None
    delivery_id, index = _CLICK.unpack(payload)
    return ClickToken(delivery_id, index)


def read_open_token(secret: str, token: str) -> int | None:
    """The delivery a genuine open token names; None for anything else."""
    payload = _verify(secret, b"goteo.open", token, _OPEN.size, _OPEN_LENGTH)
    if payload is None:
        return None
    (delivery_id,) = _OPEN.unpack(payload)
    return int(delivery_id)


def _mac(secret: str, purpose: bytes, payload: bytes) -> bytes:
    digest = hmac.new(secret.encode(), purpose + b":" + payload, hashlib.sha256).digest()
    return digest[:MAC_BYTES]


def _sign(secret: str, purpose: bytes, payload: bytes) -> str:
    raw = payload + _mac(secret, purpose, payload)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _verify(secret: str, purpose: bytes, token: str, size: int, length: int) -> bytes | None:
    if len(token) != length or not token.isascii():
        return None
    raw = _decode(token)
    if raw is None or len(raw) != size + MAC_BYTES:
        return None
    payload, mac = raw[:size], raw[size:]
    if not hmac.compare_digest(mac, _mac(secret, purpose, payload)):
        return None
    return payload


def _decode(token: str) -> bytes | None:
    """Strict base64url without padding: only the canonical spelling of the bytes is read."""
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:
        return None
    return raw


# Short personal URLs printed on mailers: typed by hand, so lower-case base32 (no 0/1/8/9
# look-alikes to confuse), a 40-bit delivery id and a 64-bit MAC: 21 characters.
_MAIL = struct.Struct(">Q")
_MAIL_ID_BYTES, _MAIL_MAC_BYTES = 5, 8
MAIL_TOKEN_LENGTH = 21


def mail_token(secret: str, delivery_id: int) -> str:
    """The short token of a mailer's personal URL and QR code."""
    if not 0 < delivery_id < 1 << (8 * _MAIL_ID_BYTES):
        raise ValueError(f"delivery id {delivery_id} out of range for a mail token")
    payload = _MAIL.pack(delivery_id)[-_MAIL_ID_BYTES:]
    raw = payload + _mac(secret, b"goteo.mail", payload)[:_MAIL_MAC_BYTES]
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def read_mail_token(secret: str, token: str) -> int | None:
    """The delivery a genuine mail token names; None for anything else."""
    if len(token) != MAIL_TOKEN_LENGTH or not token.isascii() or not token.islower():
        return None
    try:
        raw = base64.b32decode(token.upper() + "===", casefold=False)
    except (binascii.Error, ValueError):
        return None
    if base64.b32encode(raw).decode("ascii").rstrip("=").lower() != token:
        return None
    payload, mac = raw[:_MAIL_ID_BYTES], raw[_MAIL_ID_BYTES:]
    expected = _mac(secret, b"goteo.mail", payload)[:_MAIL_MAC_BYTES]
    if not hmac.compare_digest(mac, expected):
        return None
    (delivery_id,) = _MAIL.unpack(bytes(8 - _MAIL_ID_BYTES) + payload)
    return int(delivery_id)
