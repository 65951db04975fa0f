"""A mailer's PDF as the picture the web app's preview shows: its first page as a PNG."""

from __future__ import annotations

import base64
import io

import pypdfium2

DPI = 110  # legible on screen; an A4 page is about 900 pixels wide


def first_page(pdf: bytes) -> tuple[str, int]:
    """The first page as a ``data:image/png`` URI, and how many pages the PDF has."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        image = page.render(scale=DPI / 72).to_pil()
        page.close()
        pages = len(document)
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii"), pages
