"""A mailer's page as a PNG image, cut at its trim box (no bleed, no crop marks), for the
outbox page. Rasterised with pypdfium2 (PDFium, the PDF renderer of Chromium)."""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from pathlib import Path

import pypdfium2

WIDTH = 560  # pixels: sharp enough to read the address and scan the QR code from a screen
_LOCK = threading.Lock()  # PDFium is not thread-safe


def page_png(path: Path, index: int, width: int = WIDTH) -> bytes:
    """Page ``index`` (from 0) of the PDF at ``path``; ValueError when it cannot be read."""
    stat = path.stat()
    return _render(str(path), index, width, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _render(path: str, index: int, width: int, _mtime: int, _size: int) -> bytes:
    with _LOCK:
        try:
            pdf = pypdfium2.PdfDocument(path)
        except pypdfium2.PdfiumError as exc:
            raise ValueError(f"{path}: not a readable PDF ({exc})") from None
        try:
            if not 0 <= index < len(pdf):
                raise ValueError(f"{path} has no page {index + 1}")
            page = pdf[index]
            media = page.get_mediabox()
            trim = page.get_trimbox()
            crop = (trim[0] - media[0], trim[1] - media[1], media[2] - trim[2], media[3] - trim[3])
            scale = width / (trim[2] - trim[0])
            image = page.render(scale=scale, crop=crop).to_pil()
        finally:
            pdf.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
