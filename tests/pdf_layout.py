"""Read a PDF back: each text line with its box in millimetres from the trim's top-left."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdf
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTTextContainer, LTTextLine

MM = 72 / 25.4


@dataclass(frozen=True)
class Line:
    page: int
    text: str
    left: float
    top: float
    right: float
    bottom: float


def text_lines(pdf: bytes) -> list[Line]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    lines = []
    for number, page in enumerate(extract_pages(io.BytesIO(pdf))):
        trim = reader.pages[number].trimbox
        media = reader.pages[number].mediabox
        # pdfminer measures from the media box; the trim box is the page as it is cut.
        dx = float(trim.left) - float(media.left)
        dy = float(trim.top) - float(media.bottom)
        for box in page:
            if not isinstance(box, LTTextContainer):
                continue
            for line in box:
                if isinstance(line, LTTextLine) and line.get_text().strip():
                    x0, y0, x1, y1 = line.bbox
                    lines.append(
                        Line(
                            number,
                            line.get_text().strip(),
                            (x0 - dx) / MM,
                            (dy - y1) / MM,
                            (x1 - dx) / MM,
                            (dy - y0) / MM,
                        )
                    )
    return lines


def page_sizes(pdf: bytes) -> list[tuple[float, float, float, float]]:
    """(trim width, trim height, media width, media height) of each page, in mm."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [
        (
            float(p.trimbox.width) / MM,
            float(p.trimbox.height) / MM,
            float(p.mediabox.width) / MM,
            float(p.mediabox.height) / MM,
        )
        for p in reader.pages
    ]
