"""Event ingestion: the events API end to end against a bare batched insert, in the same run.

    python -m benchmarks.events_ingest [--quick] [--no-postgres] [--no-sqlite] [--unprepared]
        [--web-workers 1 2]

(a) bare insert: the same event rows (contacts already resolved, JSON already encoded) put into
a fresh copy of the goteo_event table with ``executemany``, one transaction per 1,000; (b) Goteo:
``goteo serve`` (gunicorn, N web workers) on a local port, N clients posting the events as JSON
in batches of 1,000 through ``POST /api/v1/events``: checking, contact resolution, the
idempotent insert, and the reactions (a tenth are purchases: attribution; an active campaign
triggered by ``added_to_cart``, a fifth of the events). Prints events per second of each, the
ratio b/a and the server workers' peak memory (RSS). ``--unprepared`` also measures PostgreSQL
with ``GOTEO_DATABASE_PREPARE=off`` (the insert sent unprepared, as behind an older PgBouncer in
transaction mode), as ``pg-noprep``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.worker_runs import free_port, fresh_db

BATCH = 1000
API_KEY = "bench-events-key"
MIX = "page_view=7,added_to_cart=2,purchase=1"  # a tenth are purchases (attribution runs)
CAMPAIGN = """
key: cart-rescue
name: Cart rescue
trigger: {event: added_to_cart}
steps:
  - wait: 1h
  - send: email
    template: cart
templates:
  cart:
    en: {subject: "You left something behind", html: "<p>Your cart is waiting.</p>"}
"""


UNPREPARED = "pg-noprep"  # PostgreSQL with GOTEO_DATABASE_PREPARE=off


def environment(db: str, folder: Path, prepare: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOTEO_")}
    if not prepare:
        env["GOTEO_DATABASE_PREPARE"] = "off"
    env.update(
        GOTEO_DATA_DIR=str(folder / f"data-{uuid.uuid4().hex[:6]}"),
        GOTEO_DATABASE_URL=db,
        GOTEO_SECRET_KEY="bench",
        GOTEO_API_KEY=API_KEY,
        GOTEO_EMAIL_URL="console:",
        GOTEO_FROM="Goteo Bench <bench@goteo.example.com>",
        GOTEO_POSTAL_ADDRESS="Goteo Bench, Calle Mayor 1, 28013 Madrid, Spain",
        DJANGO_SETTINGS_MODULE="goteo.settings",
    )
    return env


def prepare(contacts: int) -> None:
    """(In its own process, with the database's settings.) Migrate, apply the campaign and
    create the contacts the events name."""
    import django

    django.setup()
    from django.core.management import call_command

    from goteo.actions.campaigns import do_apply_campaign
    from goteo.contacts.models import Contact

    call_command("migrate", verbosity=0)
    do_apply_campaign(CAMPAIGN)
    people = [Contact(email=f"p{i}@example.com", first_name=f"P{i}") for i in range(contacts)]
    Contact.objects.bulk_create(people, batch_size=1000)


def event_names(mix: str) -> list[str]:
    """``page_view=7,purchase=1`` -> seven page_view then one purchase, repeated."""
    names: list[str] = []
    for part in mix.split(","):
        name, _, weight = part.partition("=")
        names += [name.strip()] * int(weight or 1)
    return names


def sample_events(count: int, contacts: int, run: str, mix: str = MIX) -> list[dict[str, Any]]:
    start = datetime.now(UTC) - timedelta(hours=1)
    names = event_names(mix)
    return [
        {
            "email": f"p{i % contacts}@example.com",
            "name": names[i % len(names)],
            "properties": {"url": f"/products/{i % 97}", "value": i % 50, "currency": "EUR"},
            "timestamp": (start + timedelta(milliseconds=i)).isoformat(),
            "idempotency_key": f"{run}-{i}",
        }
        for i in range(count)
    ]


def start_server(env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    command = ["serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    server = subprocess.Popen(
        [sys.executable, "-m", "goteo", *command],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start")


def post_batches(port: int, bodies: list[bytes]) -> int:
    """Post every batch; return how many events were stored."""
    stored = 0
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    for body in bodies:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", "/api/v1/events", body=body, headers=headers)
        response = conn.getresponse()
        answer = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"{response.status}: {str(answer)[:500]}")
        stored += answer["stored"]
        conn.close()
    return stored


def worker_peak_mb(master: int) -> float:
    """The highest peak RSS (VmHWM) among the gunicorn master's worker processes."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    peaks = [0.0]
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def api_rate(
    env: dict[str, str], events: list[dict[str, Any]], workers: int = 1
) -> tuple[float, float]:
    """Events per second through the API: ``workers`` web workers, as many clients posting at
    once (each its own share of the batches), and the workers' highest peak memory."""
    bodies = [
        json.dumps({"events": events[i : i + BATCH]}).encode() for i in range(0, len(events), BATCH)
    ]
    port = free_port()
    server = start_server(env, port, workers)
    try:
        for _ in range(workers):  # warm up every worker: imports, the first connection
            post_batches(port, [json.dumps({"events": events[:1]}).encode()])
        shares = [bodies[1 + i :: workers] for i in range(workers)]
        with ThreadPoolExecutor(workers) as pool:
            started = time.perf_counter()
            stored = sum(pool.map(lambda share: post_batches(port, share), shares))
            elapsed = time.perf_counter() - started
        peak = worker_peak_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert stored == len(events) - BATCH, f"stored {stored} of {len(events) - BATCH}"
    return stored / elapsed, peak


def connect(db: str) -> Any:
    if db.startswith("sqlite:"):
        import sqlite3

        conn = sqlite3.connect(db.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")  # as Goteo's own connections (WAL)
        return conn
    import psycopg

    return psycopg.connect(db, autocommit=True)


def fresh_event_table(conn: Any, sqlite: bool) -> None:
    """bench_event: goteo_event's columns, keys and indexes, empty."""
    if not sqlite:
        conn.execute("CREATE TABLE bench_event (LIKE goteo_event INCLUDING ALL)")
        return
    rows = conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'goteo_event' AND sql IS NOT NULL"
    ).fetchall()
    for (sql,) in rows:
        conn.execute(sql.replace("goteo_event", "bench_event").replace('"event_', '"bench_'))


def bare_rows(conn: Any, events: list[dict[str, Any]], sqlite: bool) -> list[tuple[Any, ...]]:
    ids = dict(conn.execute("SELECT email, id FROM goteo_contact").fetchall())
    received = datetime.now(UTC)

    def when(moment: datetime) -> Any:
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ") if sqlite else moment

    return [
        (
            ids[e["email"]],
            "",
            e["name"],
            json.dumps(e["properties"]),
            when(datetime.fromisoformat(e["timestamp"])),
            when(received),
            e["idempotency_key"],
            "api",
            None,
        )
        for e in events
    ]


def bare_rate(db: str, events: list[dict[str, Any]], runs: int = 3) -> float:
    """The median of ``runs`` measurements of ``bare_once``: a single one of these short runs
    moves by a third from one to the next, which would swing the ratio more than any change."""
    rates = sorted(bare_once(db, events) for _ in range(runs))
    return rates[len(rates) // 2]


def bare_once(db: str, events: list[dict[str, Any]]) -> float:
    """Events per second of executemany into a fresh goteo_event copy, a transaction per 1,000."""
    sqlite = db.startswith("sqlite:")
    conn = connect(db)
    try:
        conn.execute("DROP TABLE IF EXISTS bench_event")
        fresh_event_table(conn, sqlite)
        rows = bare_rows(conn, events, sqlite)
        mark = "?" if sqlite else "%s"
        sql = (
            "INSERT INTO bench_event (contact_id, anonymous_id, name, properties, occurred_at,"
            " received_at, idempotency_key, source, delivery_id)"
            f" VALUES ({', '.join([mark] * 9)})"
        )
        started = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            if sqlite:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(sql, rows[i : i + BATCH])
                conn.execute("COMMIT")
            else:
                with conn.transaction(), conn.cursor() as cursor:
                    cursor.executemany(sql, rows[i : i + BATCH])
        return len(rows) / (time.perf_counter() - started)
    finally:
        conn.close()


def enrolled(db: str) -> int:
    conn = connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM goteo_enrollment").fetchone()[0])
    finally:
        conn.close()


def measure(
    kind: str, count: int, contacts: int, folder: Path, mix: str, workers: int
) -> dict[str, Any]:
    db = fresh_db("postgres" if kind == UNPREPARED else kind, folder)
    env = environment(db, folder, prepare=kind != UNPREPARED)
    subprocess.run(
        [sys.executable, "-m", "benchmarks.events_ingest", "prepare", "--contacts", str(contacts)],
        env=env,
        check=True,
    )
    events = sample_events(count + BATCH, contacts, uuid.uuid4().hex[:8], mix)
    api, peak = api_rate(env, events, workers)
    bare = bare_rate(db, events[BATCH:])
    return {
        "db": kind,
        "web_workers": workers,
        "events": count,
        "contacts": contacts,
        "api_per_s": api,
        "bare_per_s": bare,
        "ratio": api / bare,
        "enrolled": enrolled(db),
        "peak_rss_mb": peak,
    }


def report(rows: list[dict[str, Any]], out: Path) -> None:
    print(
        f"{'db':9} {'web':>3} {'events':>7} {'contacts':>8} {'api ev/s':>9} {'bare ev/s':>10} "
        f"{'b/a':>5} {'enrolled':>8} {'peak MB':>8}"
    )
    for r in rows:
        print(
            f"{r['db']:9} {r['web_workers']:>3} {r['events']:>7} {r['contacts']:>8} "
            f"{r['api_per_s']:>9,.0f} "
            f"{r['bare_per_s']:>10,.0f} {r['ratio']:>5.2f} {r['enrolled']:>8} "
            f"{r['peak_rss_mb']:>8.0f}"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": rows}, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", nargs="?", choices=["prepare"], help=argparse.SUPPRESS)
    parser.add_argument("--contacts", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="Smaller counts (a smoke run).")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--unprepared",
        action="store_true",
        help="Also PostgreSQL with GOTEO_DATABASE_PREPARE=off (shown as pg-noprep).",
    )
    parser.add_argument("--out", default="benchmarks/results/events_ingest.json")
    parser.add_argument("--mix", default=MIX, help=f"Event names and weights (default {MIX}).")
    parser.add_argument(
        "--web-workers",
        type=int,
        nargs="+",
        default=sorted({1, os.cpu_count() or 1}),
        help="Web worker counts to measure, each with as many clients (default: 1 and cores).",
    )
    args = parser.parse_args()
    if args.mode == "prepare":
        prepare(args.contacts)
        return
    count, contacts = (10_000, 2_000) if args.quick else (50_000, 10_000)
    folder = Path(f"/tmp/goteo-bench-{uuid.uuid4().hex[:6]}")
    folder.mkdir(parents=True)
    rows = []
    kinds = [] if args.no_sqlite else ["sqlite"]
    if not args.no_postgres:
        kinds += ["postgres", UNPREPARED] if args.unprepared else ["postgres"]
    for kind in kinds:
        for workers in args.web_workers:
            row = measure(kind, count, contacts, folder, args.mix, workers)
            rows.append(row | {"mix": args.mix})
            print(f"  done: {kind} {count} events, {workers} web workers", file=sys.stderr)
    print(f"events: {args.mix}")
    report(rows, Path(args.out))


if __name__ == "__main__":
    main()
