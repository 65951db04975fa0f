"""An address repeated within one CSV: reported with both lines, counted, the later row used."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from goteo.actions import importing
from goteo.actions.importing import Repeat, do_import_csv
from goteo.cli import main
from goteo.contacts.models import Contact

pytestmark = pytest.mark.django_db(transaction=True)


def people(repeat_at: int) -> str:
    """Rows for p1…pN, with Anna on line 2 and again, in other case, on line ``repeat_at``."""
    rows = ["email,first_name,last_name,plan", "anna@example.com,Anna,,basic"]
    rows += [f"p{n}@example.com,P{n},,basic" for n in range(3, repeat_at)]
    rows.append("ANNA@Example.com,,Smith,pro")
    return "\n".join(rows) + "\n"


def test_a_repeated_address_is_reported_and_its_later_row_wins() -> None:
    report = do_import_csv(io.StringIO(people(repeat_at=30)))
    assert report.repeats == [Repeat(30, 2, "anna@example.com")]
    assert report.repeats[0].message == (
        "repeats line 2 (anna@example.com); the later row was used"
    )
    assert (report.created, report.updated, report.unchanged, report.errors) == (28, 0, 0, [])
    assert report.imported + len(report.repeats) == 29  # every data row is accounted for
    anna = Contact.objects.get(email="anna@example.com")
    assert (anna.first_name, anna.last_name, anna.attributes) == ("Anna", "Smith", {"plan": "pro"})
    assert report.emails.count("anna@example.com") == 1


def test_a_repeat_in_a_later_batch_updates_and_is_counted_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importing, "BATCH", 5)
    report = do_import_csv(io.StringIO(people(repeat_at=30)))
    assert report.repeats == [Repeat(30, 2, "anna@example.com")]
    assert (report.created, report.updated, report.unchanged) == (28, 0, 0)
    assert report.emails.count("anna@example.com") == 1
    anna = Contact.objects.get(email="anna@example.com")
    assert (anna.first_name, anna.last_name, anna.attributes) == ("Anna", "Smith", {"plan": "pro"})


def test_the_command_prints_the_repeat_and_the_count(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(people(repeat_at=5), encoding="utf-8")
    result = CliRunner().invoke(main, ["contacts", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "3 imported (3 new, 0 updated, 0 unchanged), 1 repeated, 0 rejected"
    ]
    assert result.stderr.splitlines() == [
        "  line 5: repeats line 2 (anna@example.com); the later row was used"
    ]
    result = CliRunner().invoke(main, ["contacts", "import", str(path), "--json"])
    assert json.loads(result.stdout)["repeated"] == [
        {
            "line": 5,
            "repeats": 2,
            "email": "anna@example.com",
            "message": "repeats line 2 (anna@example.com); the later row was used",
        }
    ]
