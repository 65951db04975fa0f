"""How many SMS segments a text takes: the GSM 03.38 alphabet or UCS-2, and the part sizes.

A text written only in the GSM 7-bit default alphabet fits 160 characters in one message; the
characters of its extension table (``€ [ ] { } \\ ^ ~ |`` and form feed) take two places
each. Any other character makes the whole message UCS-2: 70 UTF-16 code units in one message.
A longer message is sent as concatenated parts, each of which loses room to its header: 153
places (GSM-7) or 67 code units (UCS-2) per part. A part never splits an extension character
or a surrogate pair, so a part may be one place short of full.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7 = "gsm7"
UCS2 = "ucs2"

_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENSION = frozenset("\f^{}\\[~]|€")
# (one message, per part of a concatenated message), in places of the encoding
_SIZES = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # gsm7 or ucs2
    units: int  # places used: septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # messages the text is sent as; 0 for an empty text

    @property
    def per_segment(self) -> int:
        single, part = _SIZES[self.encoding]
        return single if self.segments <= 1 else part


def is_gsm7(text: str) -> bool:
    return all(c in _BASIC or c in _EXTENSION for c in text)


def _widths(text: str, encoding: str) -> list[int]:
    """The places each character takes."""
    if encoding == GSM7:
        return [2 if c in _EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def sms_length(text: str) -> SmsLength:
    """The encoding, the places used and the number of segments of ``text``."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    widths = _widths(text, encoding)
    units = sum(widths)
    single, part = _SIZES[encoding]
    if units == 0:
        return SmsLength(encoding, 0, 0)
    if units <= single:
        return SmsLength(encoding, units, 1)
    segments, room = 1, part
    for width in widths:
        if width > room:  # never split a character across two parts
            segments, room = segments + 1, part
        room -= width
    return SmsLength(encoding, units, segments)
