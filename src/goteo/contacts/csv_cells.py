"""Writing CSV that a spreadsheet opens safely, and reading it back exactly.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by spreadsheet programs (``=HYPERLINK(…)``, ``@SUM(1)``). Every CSV Goteo writes goes
through ``CsvWriter``, which puts an apostrophe before such a cell (OWASP's rule for CSV
injection) unless asked for the raw values. The importer undoes it with ``restore``.

To keep the round trip exact, a cell that already starts with apostrophes followed by one of
those characters gets one more apostrophe, and ``restore`` takes exactly one away: so
``restore(neutralise(text)) == text`` for all text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

TRIGGERS = "=+-@\t\r"
_NEEDS_PREFIX = re.compile(r"'*[=+\-@\t\r]")
_PREFIXED = re.compile(r"'+[=+\-@\t\r]")


def neutralise(text: str) -> str:
    """The cell as written to a CSV: with a leading apostrophe if it could run as a formula."""
    return "'" + text if _NEEDS_PREFIX.match(text) else text


def restore(text: str) -> str:
    """The value a neutralised cell stands for (``neutralise``'s inverse)."""
    return text[1:] if _PREFIXED.match(text) else text


class CsvWriter:
    """``csv.writer`` that neutralises every cell, unless ``raw``."""

    def __init__(self, stream: IO[str], *, raw: bool = False) -> None:
        # RFC 4180 line ends: with "\n" alone, a cell holding a bare "\r" is not quoted and
        # reads back as two lines.
        self._writer = csv.writer(stream, lineterminator="\r\n")
        self._raw = raw

    def writerow(self, cells: Iterable[Any]) -> None:
        texts = ("" if c is None else str(c) for c in cells)
        self._writer.writerow(list(texts) if self._raw else [neutralise(t) for t in texts])
