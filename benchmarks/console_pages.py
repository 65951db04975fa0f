"""Web app page response times over a large store, through a real HTTP client.

    python -m benchmarks.console_pages [--quick] [--databases sqlite postgres] [--requests 40]

Builds the fixture with bulk inserts: 20 campaigns (applied as documents; every fourth with an
A/B split and a holdout), 100,000 contacts, two journeys and two sent messages per contact
(with their exposures, a third opened, a tenth clicked), 1,000,000 events (a hundredth
purchases, converted and credited) — a tenth of each with ``--quick``; on PostgreSQL it then
vacuums and analyses, as autovacuum would after a bulk load. Starts ``goteo serve``
(one web worker), signs in through the sign-in form with httpx, and requests each page of
``PAGES`` N times in turn. Prints p50 and p95 per page, the ratio of each p95 to the p95 of
``/healthz`` in the same run (the raw limit: the same server, one database round trip) and
the web worker's peak memory. Add a page by adding a line to ``PAGES``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.events_ingest import environment, start_server, worker_peak_mb
from benchmarks.worker_runs import free_port, fresh_db

ADMIN, PASSWORD = "bench@example.com", "bench-password-long-1"
CAMPAIGNS = 20
# (name, path): every page a marketer opens most, over the fixture above.
PAGES = (
    ("healthz (raw limit)", "/healthz"),
    ("dashboard", "/app/"),
    ("campaigns", "/app/campaigns"),
    ("campaign, with its diagram", "/app/campaigns/bench-07"),
    ("contacts", "/app/contacts"),
    ("contact search", "/app/contacts?q=p4242"),
    ("contacts, a condition", "/app/contacts?" + urlencode({"where": '{"locale": "en"}'})),
    # A fresh store: the first contact, with its journeys, messages and events on its timeline.
    ("a contact", "/app/contacts/1"),
    ("results, one campaign", "/app/results?campaign=bench-07"),
    ("results, all campaigns", "/app/results"),
)
SPLIT = """  - id: pick
    split:
      - {name: a, weight: 45, next: hello}
      - {name: b, weight: 45, next: hello}
      - {name: holdout, weight: 10, holdout: true}
"""


def document(n: int) -> str:
    key = f"bench-{n:02d}"
    return f"""
key: {key}
name: Bench campaign {n}
trigger: {{event: signup_{n}}}
goal: {{event: purchase, within: 30d}}
steps:
{SPLIT if n % 4 == 3 else ""}  - id: hello
    send: email
    template: hello
  - wait: 2d
  - id: again
    send: email
    template: hello
templates:
  hello:
    en: {{subject: "Hello from {key}", html: "<p>Hello.</p>"}}
"""


def prepare(contacts: int, events: int) -> None:
    """(In its own process, with the database's settings.) Migrate and build the fixture."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from goteo.actions.campaigns import do_apply_campaign
    from goteo.actions.users import do_create_user

    call_command("migrate", verbosity=0)
    for n in range(CAMPAIGNS):
        do_apply_campaign(document(n))
    do_create_user(ADMIN, PASSWORD, "admin")
    now = datetime.now(UTC)
    with transaction.atomic():
        _contacts(contacts, now)
        _journeys(contacts, now)
        _events(contacts, events, now)
    _settle()


def _settle() -> None:
    """On PostgreSQL, what autovacuum does within a minute of a bulk load: the planner's
    statistics and the visibility map (which lets a query read an index alone)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _contacts(count: int, now: datetime) -> None:
    from goteo.contacts.models import Contact

    Contact.objects.bulk_create(
        (Contact(email=f"p{i}@example.com", first_name=f"P{i}") for i in range(count)),
        batch_size=2000,
    )


def _journeys(contacts: int, now: datetime) -> None:
    """Two journeys per contact, each with one sent message and its exposure (a readable
    state: the contact page shows it)."""
    from goteo.campaigns.models import Campaign, Delivery, Enrollment, Exposure
    from goteo.contacts.models import Contact
    from goteo.engine.state import EnrollmentState

    campaigns = list(Campaign.objects.order_by("key").values_list("id", "current_version_id"))
    people = list(Contact.objects.order_by("id").values_list("id", flat=True))
    journeys = []
    for i, contact in enumerate(people):
        for j in (0, 1):
            cid, version = campaigns[(i + j * 7) % CAMPAIGNS]
            variant = ("a", "b", "holdout")[i % 3] if (i + j * 7) % CAMPAIGNS % 4 == 3 else ""
            at = now - timedelta(days=i % 60, hours=j)
            journeys.append(
                Enrollment(
                    contact_id=contact, campaign_id=cid, version_id=version,
                    state=EnrollmentState.start("hello", at).moved("again", "hello").to_json(),
                    enrolled_at=at, due_at=at + timedelta(days=2), variant=variant,
                )
            )  # fmt: skip
    Enrollment.objects.bulk_create(journeys, batch_size=2000)
    rows = Enrollment.objects.order_by("id").values_list(
        "id", "contact_id", "campaign_id", "version_id", "enrolled_at"
    )
    deliveries, exposures = [], []
    for n, (eid, contact, cid, version, at) in enumerate(rows.iterator(chunk_size=5000)):
        sent = at + timedelta(minutes=5)
        deliveries.append(
            Delivery(
                contact_id=contact, enrollment_id=eid, campaign_id=cid, step_id="hello",
                channel="email", template="hello", locale="en", status="sent",
                next_attempt_at=sent, created_at=at, sent_at=sent, to_address=f"x{n}@example.com",
                opened_at=sent + timedelta(hours=1) if n % 3 == 0 else None,
                clicked_at=sent + timedelta(hours=2) if n % 10 == 0 else None,
            )
        )  # fmt: skip
        exposures.append(
            Exposure(
                contact_id=contact, channel="email", kind="sent", campaign_id=cid,
                version_id=version, step_id="hello", dedupe_key=f"d:{eid}", occurred_at=sent,
            )
        )  # fmt: skip
    Delivery.objects.bulk_create(deliveries, batch_size=2000)
    Exposure.objects.bulk_create(exposures, batch_size=2000)


def _events(contacts: int, count: int, now: datetime) -> None:
    """``count`` events (a hundredth purchases, each converted and credited to the contact's
    first message) by bulk SQL."""
    from django.db import connection

    from goteo.bulk_sql import insert_rows
    from goteo.campaigns.models import Conversion, Delivery
    from goteo.contacts.models import Contact

    first = Contact.objects.order_by("id").values_list("id", flat=True).first() or 0
    names = ["page_view"] * 80 + ["added_to_cart"] * 19 + ["purchase"]
    sqlite = connection.vendor == "sqlite"

    def when(moment: datetime) -> Any:
        return moment.replace(tzinfo=None).isoformat(" ") if sqlite else moment

    columns = (
        "contact_id", "anonymous_id", "name", "properties", "occurred_at", "received_at",
        "idempotency_key", "source", "delivery_id",
    )  # fmt: skip
    step = 50_000
    for start in range(0, count, step):
        rows = []
        for i in range(start, min(count, start + step)):
            at = now - timedelta(minutes=i % 86_400)
            props = '{"value": 20, "currency": "EUR"}' if names[i % 100] == "purchase" else "{}"
            contact = first + i % contacts
            rows.append(
                (contact, "", names[i % 100], props, when(at), when(at), f"e{i}", "api", None)
            )
        insert_rows("goteo_event", columns, rows)
    messages = dict(
        Delivery.objects.order_by("contact_id", "id").values_list("contact_id", "id")
    )  # the last message per contact
    credited = Delivery.objects.in_bulk(list(messages.values()))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, contact_id, occurred_at FROM goteo_event WHERE name = 'purchase'"
        )
        purchases = cursor.fetchall()
    conversions = []
    for event_id, contact, at in purchases:
        delivery = credited[messages[contact]]
        moment = at if isinstance(at, datetime) else datetime.fromisoformat(at)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite: naive UTC
        conversions.append(
            Conversion(
                contact_id=contact, event_id=event_id, name="purchase", value=20, currency="EUR",
                campaign_id=delivery.campaign_id, enrollment_id=delivery.enrollment_id,
                delivery_id=delivery.id, step_id="hello", touch="send", occurred_at=moment,
            )
        )  # fmt: skip
    Conversion.objects.bulk_create(conversions, batch_size=2000)


def signed_in(url: str) -> Any:
    import httpx

    client = httpx.Client(base_url=url, timeout=120)
    form = client.get("/app/login").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token, "no CSRF token on the sign-in page"
    answer = client.post(
        "/app/login",
        data={"email": ADMIN, "password": PASSWORD, "csrfmiddlewaretoken": token[1], "next": ""},
    )
    assert answer.status_code == 302, f"sign-in answered {answer.status_code}"
    return client


def timings(client: Any, requests: int) -> dict[str, list[float]]:
    """Each page ``requests`` times, in turn, after one warm-up request each: milliseconds."""
    for _, path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 200, f"{path}: {answer.status_code}"
    found: dict[str, list[float]] = {name: [] for name, _ in PAGES}
    for _ in range(requests):
        for name, path in PAGES:
            started = time.perf_counter()
            answer = client.get(path)
            found[name].append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, f"{path}: {answer.status_code}"
    return found


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def measure(kind: str, contacts: int, events: int, requests: int, folder: Path) -> dict[str, Any]:
    db = fresh_db(kind, folder)
    env = environment(db, folder)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "benchmarks.console_pages", "prepare",
         "--contacts", str(contacts), "--events", str(events)],
        env=env, check=True,
    )  # fmt: skip
    built = time.perf_counter() - started
    port = free_port()
    server = start_server(env | {"GOTEO_BASE_URL": f"http://127.0.0.1:{port}"}, port, 1)
    try:
        client = signed_in(f"http://127.0.0.1:{port}")
        try:
            found = timings(client, requests)
        finally:
            client.close()
        peak = worker_peak_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    raw = percentile(found[PAGES[0][0]], 0.95)
    pages = {
        name: {
            "p50_ms": percentile(ms, 0.5),
            "p95_ms": percentile(ms, 0.95),
            "ratio": percentile(ms, 0.95) / raw,
        }
        for name, ms in found.items()
    }
    return {"db": kind, "contacts": contacts, "events": events, "requests": requests,
            "fixture_s": built, "peak_rss_mb": peak, "pages": pages}  # fmt: skip


def report(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        print(
            f"\n{r['db']}: {r['contacts']:,} contacts, {r['events']:,} events, {CAMPAIGNS} "
            f"campaigns; {r['requests']} requests a page; fixture {r['fixture_s']:.0f} s; "
            f"web worker peak {r['peak_rss_mb']:.0f} MB"
        )
        print(f"{'page':26} {'p50 ms':>8} {'p95 ms':>8} {'p95/raw':>8}")
        for name, p in r["pages"].items():
            print(f"{name:26} {p['p50_ms']:8.1f} {p['p95_ms']:8.1f} {p['ratio']:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command")
    prep = sub.add_parser("prepare")
    prep.add_argument("--contacts", type=int, required=True)
    prep.add_argument("--events", type=int, required=True)
    parser.add_argument("--quick", action="store_true", help="a tenth of the fixture")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.contacts, args.events)
        return
    contacts, events = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    rows = []
    with tempfile.TemporaryDirectory(prefix="goteo-pages-") as tmp:
        for kind in args.databases:
            rows.append(measure(kind, contacts, events, args.requests, Path(tmp)))
            report(rows[-1:])
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
