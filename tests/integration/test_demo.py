"""``goteo demo`` end to end: web, worker and mail catcher together, on a fast clock."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections import defaultdict
from email.header import decode_header, make_header
from importlib import resources
from pathlib import Path

import pytest
import yaml
from tests.integration.procs import free_port, kill_group, message_ids, start_goteo

from goteo.mailcatcher import caught

pytestmark = pytest.mark.slow  # it runs `goteo demo` as a real process

LANGUAGES = {"en", "es", "it", "pl", "fr", "ru"}
FIRST_NAME = re.compile(r"\{\{\s*contact\.first_name\s*\|\s*default:\s*'([^']*)'\s*\}\}")


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode("utf-8")


COURSE = 5  # the welcome campaign's emails


def subjects_received(mailbox: Path) -> dict[str, set[str]]:
    """The subjects each address received, from the demo's mail catcher."""
    received: dict[str, set[str]] = defaultdict(set)
    for _, message in caught(mailbox, limit=10_000):
        to = str(make_header(decode_header(message["To"])))
        address = re.sub(r"^.*<|>$", "", to)
        received[address].add(str(make_header(decode_header(message["Subject"]))))
    return received


def course_received(
    mailbox: Path, proc: subprocess.Popen[str], contacts: int, seconds: float = 300
) -> dict[str, set[str]]:
    """What the contacts received, once every one has the whole course (or the demo stopped,
    or ``seconds`` passed: the assertions then say what is missing)."""
    deadline = time.monotonic() + seconds
    while True:
        received = subjects_received(mailbox) if mailbox.exists() else {}
        done = len(received) >= contacts and all(len(s) >= COURSE for s in received.values())
        if done or proc.poll() is not None or time.monotonic() > deadline:
            return received
        time.sleep(1)


def outbox_once_sent(url: str, proc: subprocess.Popen[str], marker: str) -> str:
    """The outbox page once it shows ``marker``, polled while the demo runs (a loaded machine
    may take a while to send the first simulated days)."""
    page = ""
    while proc.poll() is None:
        status, page = fetch(url)
        assert status == 200
        if marker in page:
            return page
        time.sleep(0.5)
    raise AssertionError(f"the demo stopped before its outbox showed {marker}:\n{page}")


def wait_for_health(url: str, proc: subprocess.Popen[str], seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the demo stopped before serving"
        try:
            return fetch(url)[1]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def expected_welcome_subjects() -> dict[str, str]:
    """Each demo contact's email -> the welcome subject it must receive, from the source files."""
    demo = resources.files("goteo.demo")
    campaign = yaml.safe_load(demo.joinpath("welcome.yaml").read_text(encoding="utf-8"))
    welcome = campaign["templates"]["welcome"]
    assert set(welcome) == LANGUAGES
    expected = {}
    with demo.joinpath("contacts.csv").open(encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            language = row["locale"].split("-")[0]
            subject = welcome[language if language in LANGUAGES else "en"]["subject"]

            def fill(m: re.Match[str], name: str = row["first_name"]) -> str:
                return name or m.group(1)  # the template's default for an empty name

            expected[row["email"]] = FIRST_NAME.sub(fill, subject)
    return expected


@pytest.mark.skipif(
    os.environ.get("GOTEO_TEST_DB") == "postgres",
    reason="goteo demo always runs on its own SQLite database",
)
def test_demo_runs_serves_and_delivers_in_every_language(tmp_path: Path) -> None:
    web, smtp = free_port(), free_port()
    while smtp == web:
        smtp = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOTEO_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    data = tmp_path / "demo"
    proc = start_goteo(
        env,
        "demo",
        "--for",
        "600",
        "--speed",
        "86400",
        "--port",
        str(web),
        "--smtp-port",
        str(smtp),
        "--data-dir",
        str(data),
    )
    try:
        health = wait_for_health(f"http://127.0.0.1:{web}/healthz", proc)
        assert '"status": "ok"' in health and '"database": "sqlite"' in health
        page = outbox_once_sent(f"http://127.0.0.1:{web}/outbox", proc, "drip-101")
        assert '<table id="deliveries">' in page and '<table id="caught">' in page
        # The clock runs a simulated day per second: the five-email course is over within a
        # minute on a quiet machine; the demo is then stopped as Ctrl-C would (SIGTERM).
        received = course_received(data / "mailbox", proc, len(expected_welcome_subjects()))
        proc.terminate()
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            kill_group(proc)
    assert proc.returncode == 0, err
    assert "Goteo demo is running" in out and "demo stopped" in out
    assert re.search(r"sign in as admin@goteo\.example\.com, password \S{12,}", out), out
    assert "stopped unexpectedly" not in err and "Traceback" not in err, err

    assert max(message_ids(data / "mailbox").values()) == 1, "a message arrived twice"
    expected = expected_welcome_subjects()
    assert sorted(received) == sorted(expected), "a demo contact received nothing"
    for address, subject in expected.items():
        assert subject in received[address], (address, subject, received[address])
    russian = received["olga.ivanova@example.com"]
    assert all(re.search("[а-яА-Я]", s) for s in russian), russian
    assert all(len(subjects) == COURSE for subjects in received.values()), received
