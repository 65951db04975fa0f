"""``goteo demo`` end to end: web, worker and mail catcher together, on a fast clock; every
channel (email, postcard, SMS, social posts) reaches its test-double provider and the outbox."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections import defaultdict
from decimal import Decimal
from email.header import decode_header, make_header
from importlib import resources
from pathlib import Path

import pytest
import yaml
from PIL import Image
from tests.integration.procs import free_port, goteo_json, kill_group, message_ids, start_goteo

from goteo.demo.shoppers import Purchase, planned_purchase
from goteo.mailcatcher import caught

pytestmark = pytest.mark.slow  # it runs `goteo demo` as a real process

LANGUAGES = {"en", "es", "it", "pl", "fr", "ru"}
MAILER_IMAGE = re.compile(r'<img src="(/outbox/mailers/\d+\.png)"')
# What the outbox page says once the course is over for every contact: five emails, a
# postcard and a text each, and the calendar's 30 posts (five posts on six accounts).
FINISHED = (
    r"<h2>Email: caught by the built-in mail catcher \({emails}\)</h2>",
    r"<h2>Direct mail \({contacts}\)</h2>",
    r"<h2>SMS \({contacts}\)</h2>",
    r"<h2>Social posts \(30\)</h2>",
)
SUMMARY = re.compile(r'<p id="summary">(\d+) exposed contact\(s\), (\d+) converted')
BUCKET_ROW = re.compile(r'<tr><td>([^<]+)</td><td class="num">(\d+)</td><td class="num">(\d+)</td>')
FIRST_NAME = re.compile(r"\{\{\s*contact\.first_name\s*\|\s*default:\s*'([^']*)'\s*\}\}")


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode("utf-8")


def wait_for_health(url: str, proc: subprocess.Popen[str], seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the demo stopped before serving"
        try:
            return fetch(url)[1]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def wait_for_the_course_end(
    base: str, proc: subprocess.Popen[str], contacts: int, seconds: float = 280
) -> str:
    """The outbox page once every channel has sent all it will (or fail naming what it lacks)."""
    wanted = [re.compile(p.format(emails=5 * contacts, contacts=contacts)) for p in FINISHED]
    deadline = time.monotonic() + seconds
    page = ""
    while time.monotonic() < deadline and proc.poll() is None:
        status, page = fetch(f"{base}/outbox")
        assert status == 200
        if all(pattern.search(page) for pattern in wanted):
            return page
        time.sleep(0.5)
    shown = re.findall(r"<h2>.*?</h2>", page)
    raise AssertionError(f"the outbox never showed everything: {shown}")


def wait_for_the_purchases(
    base: str, proc: subprocess.Popen[str], contacts: int, buyers: int, seconds: float = 60
) -> str:
    """The law-of-29 page once every planned purchase is counted as a conversion."""
    deadline = time.monotonic() + seconds
    page = ""
    while time.monotonic() < deadline and proc.poll() is None:
        status, page = fetch(f"{base}/outbox/exposures")
        assert status == 200
        found = SUMMARY.search(page)
        if found and (int(found[1]), int(found[2])) == (contacts, buyers):
            return page
        time.sleep(0.5)
    raise AssertionError(f"the report never counted {buyers} conversions: {SUMMARY.search(page)}")


def planned_purchases() -> dict[str, Purchase]:
    """Each demo contact who buys the course -> what they buy, from the demo's seeded plan."""
    demo = resources.files("goteo.demo")
    with demo.joinpath("contacts.csv").open(encoding="utf-8") as stream:
        plans = {r["email"]: planned_purchase(r["email"], r["address_country"])
                 for r in csv.DictReader(stream)}  # fmt: skip
    return {email: plan for email, plan in plans.items() if plan is not None}


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
def start_demo(env: dict[str, str], folder: Path) -> tuple[subprocess.Popen[str], str, Path, str]:
    """``goteo demo`` on two free ports, once it answers: the process, its address, its data
    folder and the health answer. A port taken by another process between the look and the
    bind (other tests run at the same time) means a new pair of ports, up to three times."""
    for attempt in range(3):
        web, smtp = free_port(), free_port()
        while smtp == web:
            smtp = free_port()
        data = folder / f"demo-{attempt}"
        proc = start_goteo(
            env,
            "demo",
            "--for",
            "300",  # a cap: the test stops it as soon as the course is over
            "--speed",
            "86400",
            "--port",
            str(web),
            "--smtp-port",
            str(smtp),
            "--data-dir",
            str(data),
        )
        base = f"http://127.0.0.1:{web}"
        try:
            return proc, base, data, wait_for_health(f"{base}/healthz", proc)
        except AssertionError:
            out, err = kill_group(proc)
            if "address already in use" not in err.lower() or attempt == 2:
                raise AssertionError(f"the demo did not start:\n{out}\n{err}") from None
    raise AssertionError("unreachable")


@pytest.mark.skipif(
    os.environ.get("GOTEO_TEST_DB") == "postgres",
    reason="goteo demo always runs on its own SQLite database",
)
def test_demo_runs_serves_and_delivers_in_every_language(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOTEO_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    expected = expected_welcome_subjects()
    purchases = planned_purchases()
    assert 0 < len(purchases) < len(expected)  # some buy, not everyone
    proc, base, data, health = start_demo(env, tmp_path)
    try:
        assert '"status": "ok"' in health and '"database": "sqlite"' in health
        page = wait_for_the_course_end(base, proc, len(expected))
        assert '<table id="deliveries">' in page and '<table id="caught">' in page
        assert "drip-101" in page
        # A mailer's first page, rasterised from its PDF in the print-house folder.
        image = urllib.request.urlopen(base + MAILER_IMAGE.findall(page)[0], timeout=10)
        assert image.headers["Content-Type"] == "image/png"
        picture = Image.open(io.BytesIO(image.read()))
        picture.load()  # decodes every pixel
        assert picture.format == "PNG" and picture.width > 500
        assert re.search(r"\+\d{1,3} •+ \d\d", page), "no masked number on the SMS list"
        # Contacts bought the course along the way: the law-of-29 table fills in.
        report = wait_for_the_purchases(base, proc, len(expected), len(purchases))
        assert "drip-101" in report and "email + mail + sms" in report
        overall = report.split('<table id="buckets">')[1].split("</table>")[0]
        rows = {bucket: (int(n), int(c)) for bucket, n, c in BUCKET_ROW.findall(overall)}
        assert sum(n for n, _ in rows.values()) == len(expected)
        assert sum(c for _, c in rows.values()) == len(purchases)
        assert rows["6–10"][1] > 0  # most buy late in the course
    finally:
        proc.terminate()  # the demo stops its web server and worker on SIGTERM
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            out, err = kill_group(proc)  # its web server and worker too
    assert proc.returncode == 0, err
    assert "Goteo demo is running" in out and "demo stopped" in out
    assert re.search(r"sign in as admin@goteo\.example\.com, password \S{12,}", out), out
    assert "stopped unexpectedly" not in err and "Traceback" not in err, err

    mailbox = data / "mailbox"
    assert max(message_ids(mailbox).values()) == 1, "a message arrived twice"
    received: dict[str, set[str]] = defaultdict(set)
    for _, message in caught(mailbox, limit=10_000):
        to = str(make_header(decode_header(message["To"])))
        address = re.sub(r"^.*<|>$", "", to)
        received[address].add(str(make_header(decode_header(message["Subject"]))))
    assert sorted(received) == sorted(expected), "a demo contact received nothing"
    for address, subject in expected.items():
        assert subject in received[address], (address, subject, received[address])
    # Every channel's test-double provider kept what it was given, for every contact.
    contacts = len(expected)
    assert len(list((data / "print-house" / "spool").glob("*.pdf"))) == contacts
    assert len(list((data / "sms").glob("goteo-sms-*.json"))) == contacts
    posted = {p.parent.name for p in (data / "social").glob("*/*.json")}
    assert posted == LANGUAGES, posted
    # The purchases went in as events: conversions credited to the course, with their revenue.
    results = goteo_json({**env, "GOTEO_DATA_DIR": str(data)}, "report", "drip-101")
    assert results["conversions"] == len(purchases)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for plan in purchases.values():
        revenue[plan.currency] += plan.value
    assert results["revenue"] == {currency: f"{value:.2f}" for currency, value in revenue.items()}
    russian = received["olga.ivanova@example.com"]
    assert all(re.search("[а-яА-Я]", s) for s in russian), russian
    assert all(len(subjects) == 5 for subjects in received.values()), received
