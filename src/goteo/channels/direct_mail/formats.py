"""Mailer formats: trim size, bleed, and the address window on each, all in millimetres.

Letters put the recipient's address where the envelope's window is:

- **A4** folded into a C5/6 or DL window envelope, DIN 5008 form B: the address field is
  85 x 45 mm, 20 mm from the left edge and 45 mm from the top; its first 5 mm hold the
  sender's one-line return address, the rest the recipient;
- **US Letter** tri-folded into a #10 window envelope: the window is 4.5 x 1.125 in, 7/8 in from
  the left and 1/2 in above the envelope's bottom edge, which puts it 2.5 in below the top of
  the sheet; the address block sits inside it with 1/16 in to spare all round.

Postcards carry the address on the right half of the back, clear of the bottom 5/8 in that the
postal barcode needs. Every format has a bleed (3 mm for ISO sizes, 1/8 in for US sizes): the
PDF's page is the trim size plus the bleed on each side, with crop marks.
"""

from __future__ import annotations

from dataclasses import dataclass

INCH = 25.4
DEFAULT_FORMAT = "a4"  # a mail template's format when it names none


@dataclass(frozen=True)
class Box:
    x: float  # from the trim's left edge
    y: float  # from the trim's top edge
    width: float
    height: float


@dataclass(frozen=True)
class PageFormat:
    key: str
    kind: str  # "letter" or "postcard"
    width: float
    height: float
    bleed: float
    address: Box  # where the recipient's address block goes (on the back, for postcards)
    return_line: float = 0.0  # height of the sender's line at the top of the address box


def _us(key: str, kind: str, width: float, height: float, address: Box) -> PageFormat:
    """A US format: sizes in inches, a 1/8 in bleed."""
    return PageFormat(key, kind, width * INCH, height * INCH, INCH / 8, address)


def _box_in(x: float, y: float, width: float, height: float) -> Box:
    return Box(x * INCH, y * INCH, width * INCH, height * INCH)


FORMATS: dict[str, PageFormat] = {
    "a4": PageFormat("a4", "letter", 210, 297, 3, Box(20, 45, 85, 45), return_line=5),
    "letter": _us(
        "letter", "letter", 8.5, 11, _box_in(0.875 + 1 / 16, 2.5 + 1 / 16, 4.5 - 1 / 8, 1.0)
    ),
    "postcard-4x6": _us("postcard-4x6", "postcard", 6, 4, _box_in(3.1, 1.4, 2.65, 1.4)),
    "postcard-6x9": _us("postcard-6x9", "postcard", 9, 6, _box_in(4.9, 2.6, 3.8, 1.9)),
    "postcard-a6": PageFormat("postcard-a6", "postcard", 148, 105, 3, Box(78, 40, 64, 40)),
}


def page_format(key: str) -> PageFormat:
    """The format called ``key``; ValueError naming the known ones otherwise."""
    try:
        return FORMATS[key]
    except KeyError:
        raise ValueError(f"{key!r} is not a mailer format (use {', '.join(FORMATS)})") from None
