"""Render one mailer: a Liquid HTML template for one contact -> one print-ready PDF.

The marketer's HTML is the letter's body (or a postcard's message side, with an optional
picture side in ``front``). Goteo adds what every mailer needs, in fixed places given by the
format (``formats``): the recipient's address in the envelope window (or on the right of a
postcard's back), the sender's return line, and the QR code with the short personal URL.
Fonts are DejaVu, then Noto, so Polish, Cyrillic and the other seed languages print with
their own glyphs; the page has a bleed and crop marks.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import weasyprint
from liquid import BoundTemplate
from liquid.exceptions import LiquidError
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError

from goteo.channels.direct_mail.formats import PageFormat
from goteo.channels.direct_mail.qr import qr_data_uri
from goteo.contacts.postal import PostalAddress
from goteo.content.liquid_env import HTML_ENV
from goteo.content.render import RenderError

FONTS = '"DejaVu Sans", "Noto Sans", "Liberation Sans", sans-serif'
MARGIN = (20.0, 20.0, 20.0, 25.0)  # top, right, bottom, left of the letter's text, mm
QR_SIZE = 22.0  # mm
ADDRESS_PT, LINE_HEIGHT, PT = 10.0, 1.2, 25.4 / 72  # the address's type size, in points
# Rendering does no I/O: only data URIs (the QR code, inline images) load; a link to anything
# else fails the render instead of printing a mailer without it.
_FETCHER = weasyprint.URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
# One font configuration for every mailer a process renders: a new one per document (the
# default) keeps its fontconfig state alive and memory grows by ~0.2 MB a mailer.
_FONTS = FontConfiguration()


@dataclass(frozen=True)
class MailerTemplate:
    html: str  # Liquid HTML: the letter's body, or the postcard's message side
    front: str = ""  # postcards: the picture side (Liquid HTML); blank when empty
    where: str = "mailer"  # for messages: "template 'postcard' (pl)"


@dataclass(frozen=True)
class Mailer:
    delivery_id: int
    format: PageFormat
    address: PostalAddress
    url: str
    html: str
    pdf: bytes


def render_html(
    template: MailerTemplate,
    context: Mapping[str, Any],
    *,
    fmt: PageFormat,
    address: PostalAddress,
    sender: str,
    url: str,
    lang: str = "",
) -> str:
    """The mailer's full HTML document, ready for WeasyPrint."""
    values = {**context, "mail": {"url": url}}
    body = _run(template.where, "html", template.html, values)
    front = _run(template.where, "front", template.front, values) if template.front else ""
    if fmt.kind == "letter":
        sheets = _letter(fmt, body, address, sender, url)
    else:
        sheets = f'<section class="front">{front}</section>' + _postcard_back(
            fmt, body, address, sender, url
        )
    return (
        f'<!doctype html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        f"<style>{_css(fmt)}</style></head><body>{sheets}</body></html>"
    )


def render_pdf(document: str) -> bytes:
    """The PDF of a mailer's HTML document. Nothing is fetched: only data URIs load."""
    try:
        pdf: bytes = weasyprint.HTML(string=document, url_fetcher=_FETCHER).write_pdf(
            font_config=_FONTS
        )
    except FatalURLFetchingError as exc:
        raise RenderError(f"mailers load nothing from outside the template: {exc}") from exc
    return pdf


def render_mailer(
    template: MailerTemplate,
    context: Mapping[str, Any],
    *,
    delivery_id: int,
    fmt: PageFormat,
    address: PostalAddress,
    sender: str,
    url: str,
    lang: str = "",
) -> Mailer:
    """Render one mailer; RenderError (naming the template and field) when it cannot be."""
    document = render_html(
        template, context, fmt=fmt, address=address, sender=sender, url=url, lang=lang
    )
    return Mailer(delivery_id, fmt, address, url, document, render_pdf(document))


def _letter(fmt: PageFormat, body: str, address: PostalAddress, sender: str, url: str) -> str:
    top, _, _, left = _first_margins(fmt)
    box = fmt.address
    qr_top = box.y
    qr_left = fmt.width - MARGIN[1] - QR_SIZE
    return (
        _address_block(fmt, address, sender, left=box.x - left, top=box.y - top)
        + _qr_block(url, left=qr_left - left, top=qr_top - top)
        + f'<main class="body">{body}</main>'
    )


def _postcard_back(
    fmt: PageFormat, body: str, address: PostalAddress, sender: str, url: str
) -> str:
    box = fmt.address
    qr_top = max(box.y - QR_SIZE - 4, 4)
    return (
        '<section class="back">'
        + f'<div class="message" style="width:{box.x - 12:.2f}mm">{body}</div>'
        + _address_block(fmt, address, sender, left=box.x, top=box.y)
        + _qr_block(url, left=box.x + box.width - QR_SIZE, top=qr_top)
        + "</section>"
    )


def _address_block(
    fmt: PageFormat, address: PostalAddress, sender: str, *, left: float, top: float
) -> str:
    box = fmt.address
    parts = address.formatted()
    lines = "".join(f"<div>{html.escape(line)}</div>" for line in parts)
    back = f'<div class="return">{html.escape(sender)}</div>' if fmt.return_line else ""
    # A long address (six lines abroad) gets a smaller type, so it stays inside the window.
    room = box.height - (fmt.return_line + 2 if fmt.return_line else 0) - 1
    size = min(ADDRESS_PT, room / len(parts) / LINE_HEIGHT / PT)
    return (
        f'<div class="address" style="left:{left:.2f}mm;top:{top:.2f}mm;'
        f'width:{box.width:.2f}mm;height:{box.height:.2f}mm">{back}'
        f'<div class="recipient" style="font-size:{size:.2f}pt">{lines}</div></div>'
    )


def _qr_block(url: str, *, left: float, top: float) -> str:
    short = html.escape(url.split("://", 1)[-1])
    return (
        f'<div class="qr" style="left:{left:.2f}mm;top:{top:.2f}mm;width:{QR_SIZE}mm">'
        f'<img src="{qr_data_uri(url)}" alt=""><div class="purl">{short}</div></div>'
    )


def _first_margins(fmt: PageFormat) -> tuple[float, float, float, float]:
    """The first page of a letter starts its text below the address window."""
    top, right, bottom, left = MARGIN
    return max(top, fmt.address.y + fmt.address.height + 10), right, bottom, left


def _css(fmt: PageFormat) -> str:
    page = f"size: {fmt.width:.2f}mm {fmt.height:.2f}mm; bleed: {fmt.bleed}mm; marks: crop"
    if fmt.kind == "letter":
        first = " ".join(f"{v:.2f}mm" for v in _first_margins(fmt))
        margins = " ".join(f"{v:.2f}mm" for v in MARGIN)
        pages = f"@page {{ {page}; margin: {margins} }} @page :first {{ margin: {first} }}"
    else:
        pages = f"@page {{ {page}; margin: 0 }}"
    return (
        pages
        + f" html {{ font-family: {FONTS}; font-size: 10.5pt; line-height: 1.35 }}"
        + " body { margin: 0 } .address, .qr { position: absolute; overflow: hidden }"
        + f" .address {{ line-height: {LINE_HEIGHT} }}"
        + " .return { font-size: 7pt; height: 5mm; border-bottom: 0.2pt solid #444;"
        + " margin-bottom: 2mm; white-space: nowrap; overflow: hidden }"
        + f" .qr img {{ width: {QR_SIZE}mm; height: {QR_SIZE}mm; display: block }}"
        + " .purl { font-size: 6pt; text-align: center; word-break: break-all }"
        + f" section {{ position: relative; width: {fmt.width:.2f}mm;"
        + f" height: {fmt.height:.2f}mm; overflow: hidden; page-break-after: always }}"
        + " section:last-child { page-break-after: auto }"
        + " .message { position: absolute; left: 6mm; top: 6mm; bottom: 16mm; overflow: hidden }"
    )


@lru_cache(maxsize=256)
def _compiled(source: str) -> BoundTemplate:
    return HTML_ENV.from_string(source)


def _run(where: str, field: str, source: str, context: Mapping[str, Any]) -> str:
    try:
        return str(_compiled(source).render(**context))
    except LiquidError as exc:
        raise RenderError(f"{where} {field}: {exc}") from exc
