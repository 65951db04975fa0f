"""The README's "Your first campaign" and "A sign-up form" commands, run as written."""

from __future__ import annotations

import csv
import re
import shlex
import subprocess
import sys
from pathlib import Path

import dkim
import pytest
from tests.integration.procs import goteo_json
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.slow  # it runs the README's commands as real processes

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("Your first campaign", "A sign-up form")


def readme_commands(section: str) -> list[str]:
    """The lines of the first ``sh`` block under a README heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(rf"^## {re.escape(section)}\n.*?```sh\n(.*?)```", text, re.S | re.M)
    assert block, f"README has no sh block under '## {section}'"
    return [line for line in block[1].splitlines() if line.strip()]


def run_line(line: str, env: dict[str, str], sink: SmtpSink) -> str:
    """One README line: ``VAR=value goteo …``; the venv is already active here.

    The worker's SMTP server becomes the loopback sink, and the worker stops once idle."""
    words = shlex.split(line, comments=True)
    if words[0] == ".":
        return ""
    extra = {}
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        extra[name] = value
    assert words[0] == "goteo", line
    args = words[1:]
    if args[0] == "worker":
        assert extra.pop("GOTEO_EMAIL_URL").startswith("smtp://"), line
        extra["GOTEO_EMAIL_URL"] = sink.url
        args.append("--until-idle")
    assert set(extra) <= {"GOTEO_EMAIL_URL"}, f"unexpected settings in {line!r}: {extra}"
    result = subprocess.run(
        [sys.executable, "-m", "goteo", *args],
        env=env | extra,
        cwd=ROOT,  # the README's paths are relative to the checkout
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_readme_first_campaign_runs_as_written(
    goteo_env: dict[str, str], smtp_sink: SmtpSink
) -> None:
    lines = [line for section in SECTIONS for line in readme_commands(section)]
    assert any("goteo contacts import examples/people.csv" in line for line in lines)
    for line in lines:
        for path in re.findall(r"examples/[\w.-]+", line):
            assert (ROOT / path).is_file(), f"{line}: {path} is not shipped"
    for line in lines:
        run_line(line, goteo_env, smtp_sink)

    with (ROOT / "examples" / "people.csv").open(encoding="utf-8") as stream:
        people = {row["email"] for row in csv.DictReader(stream)}
    (welcome,) = goteo_json(goteo_env, "campaign", "list")
    assert (welcome["key"], welcome["enrolled"]) == ("welcome", len(people))
    # Whoever is inside the send window now got the welcome message, DKIM-signed.
    dns = goteo_json(goteo_env, "dns")
    records = {
        r["name"]: str(r["value"]).encode() for r in dns["records"] if r["purpose"] == "DKIM"
    }
    assert dns["key_source"] == "generated"

    def lookup(name: bytes, timeout: int = 5) -> bytes:
        return records[name.decode().rstrip(".")]

    for _, recipients, message in smtp_sink.messages:
        assert recipients[0] in people
        assert dkim.verify(message, dnsfunc=lookup)
