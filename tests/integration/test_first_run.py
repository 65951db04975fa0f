"""The first commands a newcomer types: before ``goteo migrate``, and ``goteo migrate`` itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.procs import free_port, goteo, goteo_json

pytestmark = pytest.mark.slow  # every test here runs `goteo` as a real process

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOT_SET_UP = "error: the database is not set up: run `goteo migrate`"


@pytest.mark.parametrize(
    "command",
    [
        ("campaign", "apply", str(EXAMPLES / "welcome.yaml")),
        ("contacts", "add", "ana@example.com"),
        ("campaign", "list"),
        ("outbox",),
        ("contacts", "import", str(EXAMPLES / "people.csv"), "--subscribe", "newsletter"),
        ("worker", "--until-idle"),
        ("serve", "--bind", f"127.0.0.1:{free_port()}", "--workers", "1"),
        ("inbound", "--bind", f"127.0.0.1:{free_port()}"),
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_a_command_before_migrate_says_so_in_one_line(
    goteo_env: dict[str, str], command: tuple[str, ...]
) -> None:
    result = goteo(goteo_env, *command, check=False)
    assert result.returncode == 1, result
    lines = [line for line in result.stderr.splitlines() if not line.startswith("worker ")]
    assert lines == [NOT_SET_UP], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_database_missing_later_migrations_names_how_many(goteo_env: dict[str, str]) -> None:
    env = goteo_env | {"PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "contacts", "0001", "-v", "0"],
        env=env,
        check=True,
        capture_output=True,
    )
    result = goteo(goteo_env, "contacts", "add", "ana@example.com", check=False)
    assert result.returncode == 1
    everything = len(
        goteo_json(goteo_env | {"GOTEO_DATABASE_URL": "sqlite://"}, "migrate")["applied"]
    )
    assert result.stderr.splitlines() == [
        f"error: the database needs {everything - 1} more migration(s): run `goteo migrate`"
    ], result.stderr


def test_an_unreachable_database_is_one_line(goteo_env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder" / "goteo.sqlite3"
    env = goteo_env | {"GOTEO_DATABASE_URL": f"sqlite:///{missing}"}
    result = goteo(env, "campaign", "list", check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: cannot use the SQLite database {missing}: unable to open database file"
    ]


def test_migrate_says_what_it_applied(goteo_env: dict[str, str]) -> None:
    first = goteo(goteo_env, "migrate").stdout.splitlines()
    count = re.fullmatch(
        r"applied (\d+) migration\(s\) to the (SQLite|PostgreSQL) database .*:", first[0]
    )
    assert count, first
    listed = [name for line in first[1:] for name in line.split(": ", 1)[1].split(", ")]
    assert len(listed) == int(count[1])
    assert any(line.startswith("  contacts: 0001_initial, 0002_opt_in, ") for line in first)
    assert any(line.startswith("  campaigns: 0001_initial, 0002_opt_in, ") for line in first)
    again = goteo(goteo_env, "migrate").stdout.splitlines()
    assert len(again) == 1 and again[0].endswith(" is up to date: nothing to apply"), again
    assert goteo_json(goteo_env, "migrate")["applied"] == []
    assert goteo_json(goteo_env, "campaign", "list") == []


def test_migrate_as_json_lists_every_migration(goteo_env: dict[str, str]) -> None:
    out = goteo_json(goteo_env, "migrate")
    assert out["applied"][:2] == ["contacts.0001_initial", "contacts.0002_opt_in"]
    assert "campaigns.0001_initial" in out["applied"] and out["dkim_key_generated"] is False
    assert out["database"].startswith(("the SQLite database ", "the PostgreSQL database "))
