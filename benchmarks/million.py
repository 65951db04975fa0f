"""A million contacts: build the store, then one day of three running campaigns, end to end.

    python -m benchmarks.million [--contacts 1000000] [--events-per-contact 10]
                                 [--no-sqlite] [--no-postgres] [--connections 1]

``--contacts`` takes a list (``10000,100000,1000000``) to see memory stay flat as the list
grows. For each database and size, in the same run:

1. **build** (bulk SQL, not the API): the contacts (``COPY`` on PostgreSQL), ten events each
   (page views, carts, purchases over the last 30 days) and three running campaigns;
2. **the raw limit**: a bare smtplib loop to the same local sink (``send_throughput``'s);
3. **the day**, in a worker process of its own (so its peak memory is its own), on a fixed
   clock: enrol (the day's sign-ups into ``welcome``, 1 %; everyone who added to cart in the
   last day and bought nothing into ``cart``; a newsletter to 2 % chosen by an attribute),
   then one worker claims, renders and delivers everything due, the clock moves a day on and
   it does it again (the follow-ups). Every rate, the time per phase and the worker's peak
   memory are printed; the worker's statements are recorded as they run and the hottest
   shapes are explained (``EXPLAIN QUERY PLAN`` / ``EXPLAIN``), each flagged when its plan
   reads a whole large table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.send_throughput import raw_limit
from benchmarks.worker_runs import free_port, fresh_db, run_module, start_process

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BIG = ("goteo_contact", "goteo_event", "goteo_enrollment", "goteo_delivery", "goteo_exposure")
CAMPAIGNS = [
    """
key: welcome
name: Welcome
trigger: {subscribed: news}
steps:
  - {id: hello, send: email, template: hello}
  - wait: 1d
  - {id: tips, send: email, template: tips}
templates:
  hello:
    en: {subject: "Welcome, {{ contact.first_name | default: 'friend' }}",
         html: "<p>Hello {{ contact.first_name | default: 'friend' }}.</p><p><a href='https://shop.example.com/start'>Start</a></p>"}
    es: {subject: "Hola, {{ contact.first_name | default: 'amiga' }}",
         html: "<p>Hola {{ contact.first_name | default: 'amiga' }}.</p><p><a href='https://shop.example.com/es'>Empezar</a></p>"}
  tips:
    en: {subject: "Three tips", html: "<p>Tips for {{ contact.first_name | default: 'you' }}.</p>"}
""",
    """
key: cart
name: Abandoned cart
trigger: {event: added_to_cart}
goal: {event: purchase}
steps:
  - {id: remind, send: email, template: remind}
  - wait: 1d
  - {id: again, send: email, template: again}
templates:
  remind:
    en:
      subject: "You left something"
      html: >-
        <p>Your cart, {{ contact.first_name | default: 'friend' }}:
        <a href='https://shop.example.com/cart'>back to it</a></p>
  again:
    en: {subject: "Still thinking?", html: "<p>Your cart is waiting.</p>"}
""",
    """
key: newsletter
name: Newsletter
steps:
  - {id: issue, send: email, template: issue}
templates:
  issue:
    en: {subject: "This week", html: "<p>News for {{ contact.first_name | default: 'you' }}: <a href='https://shop.example.com/news'>read</a></p>"}
""",
]


def environment(db: str, port: int, connections: int) -> dict[str, str]:
    return os.environ | {
        "GOTEO_DATA_DIR": tempfile.mkdtemp(prefix="goteo-million-"),
        "GOTEO_DATABASE_URL": db,
        "GOTEO_EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "GOTEO_FROM": "Goteo Bench <bench@goteo.example.com>",
        "GOTEO_SECRET_KEY": "bench",
        "GOTEO_POSTAL_ADDRESS": "Goteo Bench, Calle Mayor 1, 28013 Madrid, Spain",
        "GOTEO_DKIM": "off",
        "GOTEO_EMAIL_CONNECTIONS": str(connections),
        "DJANGO_SETTINGS_MODULE": "goteo.settings",
    }


# -- build (in its own process) ----------------------------------------------------------------


def build(contacts: int, per_contact: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command

    from benchmarks.contact_pages import fill
    from goteo.actions.campaigns import do_apply_campaign

    phases: dict[str, float] = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    for document in CAMPAIGNS:
        do_apply_campaign(document)
    phases["migrate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    fill(contacts)
    phases["contacts_s"] = time.perf_counter() - started
    started = time.perf_counter()
    events = _events(contacts, per_contact)
    phases["events_s"] = time.perf_counter() - started
    started = time.perf_counter()
    _analyze()
    phases["analyze_s"] = time.perf_counter() - started
    return {
        "contacts": contacts,
        "events": events,
        "contacts_per_s": contacts / phases["contacts_s"],
        "events_per_s": events / phases["events_s"],
        **phases,
    }


def _event_rows(contacts: int, per_contact: int, first: int, sqlite: bool) -> Any:
    """Ten events a contact over the last 30 days: a page view most of the time, a cart one
    time in 20 (spread so that about 2 % of contacts carted in the last day), a purchase one
    time in 100."""
    for i in range(contacts * per_contact):
        contact = first + i % contacts
        kind = i % 100
        name = "purchase" if kind == 0 else "added_to_cart" if kind < 6 else "page_view"
        minutes = (i * 7919) % (30 * 24 * 60)
        if name == "added_to_cart" and contact % 50 == 3:
            minutes %= 20 * 60  # this contact's carts are recent: the cart campaign finds them
        at = T0 - timedelta(minutes=minutes + 1)
        moment: Any = at.replace(tzinfo=None).isoformat(" ") if sqlite else at
        props = '{"value": 20, "currency": "EUR"}' if name == "purchase" else "{}"
        yield (contact, "", name, props, moment, moment, f"e{i}", "api", None)


def _events(contacts: int, per_contact: int) -> int:
    from django.db import connection, transaction

    from goteo.contacts.models import Contact

    columns = (
        "contact_id, anonymous_id, name, properties, occurred_at, received_at, "
        "idempotency_key, source, delivery_id"
    )
    first = Contact.objects.order_by("id").values_list("id", flat=True).first() or 0
    sqlite = connection.vendor == "sqlite"
    rows = _event_rows(contacts, per_contact, first, sqlite)
    with transaction.atomic(), connection.cursor() as cursor:
        if sqlite:
            marks = ", ".join(["%s"] * 9)
            cursor.executemany(f"INSERT INTO goteo_event ({columns}) VALUES ({marks})", rows)
        else:
            with cursor.cursor.copy(f"COPY goteo_event ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    return contacts * per_contact


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# -- the day (in its own process) --------------------------------------------------------------


class Statements:
    """The worker's statements as they run, by shape (numbers and strings made ``?``), with
    the first parameters of each, to be explained afterwards."""

    LIMIT = 200_000  # then it stops recording: the day's figures carry no such cost

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.first: dict[str, tuple[str, Any]] = {}
        self.seen = 0
        self.on = False  # the worker's alone: set when it starts

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if self.on and self.seen < self.LIMIT:
            self.seen += 1
            shape = re.sub(r"\b\d+\b", "?", re.sub(r"%s(, %s)+", "%s…", sql))
            self.counts[shape] += 1
            if shape not in self.first and not many:
                self.first[shape] = (sql, params)
        return execute(sql, params, many, context)


def day(connections: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.db.backends.signals import connection_created

    from goteo.actions.enroll import do_enroll
    from goteo.campaigns.models import Delivery
    from goteo.engine.clock import ManualClock
    from goteo.worker.setup import build_worker

    statements = Statements()

    def watch(sender: Any, connection: Any, **kwargs: Any) -> None:
        connection.execute_wrappers.append(statements)

    connection_created.connect(watch, weak=False)
    connection.close()  # reconnect, watched

    phases: dict[str, float] = {}
    started = time.perf_counter()
    enrolled = {
        "welcome": do_enroll("welcome", _ids("id % 100 = 0"), T0).enrolled,
        "cart": do_enroll("cart", _carted(), T0).enrolled,
        "newsletter": do_enroll("newsletter", _ids("id % 50 = 1"), T0).enrolled,
    }
    phases["enroll_s"] = time.perf_counter() - started
    total_enrolled = sum(enrolled.values())
    clock = ManualClock(T0)
    worker = build_worker(clock)
    statements.on = True
    cpu = time.process_time()
    sent = steps = 0
    scheduling = sending = 0.0
    for n in (0, 1):
        if n:
            clock.advance(timedelta(days=1, minutes=1))
        started = time.perf_counter()
        totals = worker.run_until_idle()
        phases[f"day{n}_s"] = time.perf_counter() - started
        sent, steps = totals.sent, totals.steps_claimed
        scheduling = totals.scheduling_seconds
    worker.close()
    sending = phases["day0_s"] + phases["day1_s"] - scheduling
    cpu_s = time.process_time() - cpu
    failed = Delivery.objects.exclude(status__in=["sent", "suppressed"]).count()
    return {
        "enrolled": enrolled,
        "enroll_per_s": total_enrolled / phases["enroll_s"],
        "steps": steps,
        "claims_per_s": steps / scheduling if scheduling else 0.0,
        "sent": sent,
        "not_sent": failed,
        "messages_per_s": sent / (phases["day0_s"] + phases["day1_s"]),
        "sending_s": sending,
        "scheduling_s": scheduling,
        "worker_cpu_ms_per_msg": 1000 * cpu_s / sent if sent else 0.0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "statements": statements.seen,
        "plans": _plans(statements),
        **phases,
    }


def _ids(where: str) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM goteo_contact WHERE {where} ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def _carted() -> list[int]:
    """Everyone who added to cart in the day before and bought nothing since (the event
    index by contact and name serves the purchase check)."""
    from django.db import connection

    since = T0 - timedelta(days=1)
    moment: Any = (
        since.replace(tzinfo=None).isoformat(" ") if connection.vendor == "sqlite" else since
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.contact_id FROM goteo_event c WHERE c.name = 'added_to_cart' "
            "AND c.occurred_at >= %s AND NOT EXISTS (SELECT 1 FROM goteo_event p WHERE "
            "p.contact_id = c.contact_id AND p.name = 'purchase' AND p.occurred_at >= "
            "c.occurred_at) ORDER BY c.contact_id",
            [moment],
        )
        return [row[0] for row in cursor.fetchall()]


def _plans(statements: Statements, top: int = 12) -> list[dict[str, Any]]:
    from django.db import connection

    sqlite = connection.vendor == "sqlite"
    out = []
    for shape, count in statements.counts.most_common(top * 2):
        if shape not in statements.first or not shape.lstrip().upper().startswith(
            ("SELECT", "UPDATE", "WITH", "DELETE", "INSERT")
        ):
            continue
        sql, params = statements.first[shape]
        try:
            with connection.cursor() as cursor:
                cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql, params)
                plan = [str(row[-1] if sqlite else row[0]) for row in cursor.fetchall()]
        except Exception as exc:  # a statement that cannot be explained on its own
            plan = [f"(not explained: {type(exc).__name__})"]
        scans = [
            t
            for t in BIG
            for line in plan
            if re.search(rf"(SCAN|Seq Scan on) {t}\b(?! USING)", line)
        ]
        out.append(
            {"count": count, "sql": shape[:400], "plan": plan, "full_scans": sorted(set(scans))}
        )
        if len(out) == top:
            break
    return out


# -- the parent ---------------------------------------------------------------------------------


def child(mode: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    return run_module("benchmarks.million", mode, *args, env=env)


def measure(
    kind: str, contacts: int, per_contact: int, port: int, connections: int, folder: Path
) -> dict[str, Any]:
    db = fresh_db(kind, folder)
    env = environment(db, port, connections)
    built = child(
        "build", env, "--contacts", str(contacts), "--events-per-contact", str(per_contact)
    )
    raw = raw_limit(port, 3000, connections)
    ran = child("day", env, "--connections", str(connections))
    return {"db": kind, "connections": connections, "raw_msg_per_s": raw,
            "ratio": ran["messages_per_s"] / raw, **built, **ran}  # fmt: skip


def report(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'db':9} {'contacts':>9} {'events':>10} {'build c/s':>9} {'build e/s':>9} "
        f"{'enrol/s':>8} {'claims/s':>8} {'sent':>6} {'msg/s':>6} {'raw':>5} {'b/a':>5} "
        f"{'cpu ms':>6} {'peak MB':>7}"
    )
    for r in rows:
        print(
            f"{r['db']:9} {r['contacts']:>9,} {r['events']:>10,} {r['contacts_per_s']:>9,.0f} "
            f"{r['events_per_s']:>9,.0f} {r['enroll_per_s']:>8,.0f} {r['claims_per_s']:>8,.0f} "
            f"{r['sent']:>6,} {r['messages_per_s']:>6,.0f} {r['raw_msg_per_s']:>5,.0f} "
            f"{r['ratio']:>5.2f} {r['worker_cpu_ms_per_msg']:>6.2f} {r['peak_rss_mb']:>7.0f}"
        )
        phases = ", ".join(
            f"{k[:-2]} {r[k]:.1f} s"
            for k in (
                "contacts_s",
                "events_s",
                "analyze_s",
                "enroll_s",
                "scheduling_s",
                "sending_s",
            )
        )
        print(f"  phases: {phases}; enrolled {r['enrolled']}; not sent {r['not_sent']}")
    for r in rows:
        print(f"\n{r['db']}, {r['contacts']:,} contacts: the worker's hottest statements")
        for p in r["plans"]:
            flag = f"  FULL SCAN of {', '.join(p['full_scans'])}" if p["full_scans"] else ""
            print(f"- {p['count']:,}x {p['sql'][:160]}{flag}")
            for line in p["plan"][:6]:
                print(f"    {line[:150]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="mode")
    b = sub.add_parser("build")
    b.add_argument("--contacts", type=int, required=True)
    b.add_argument("--events-per-contact", type=int, default=10)
    d = sub.add_parser("day")
    d.add_argument("--connections", type=int, default=1)
    parser.add_argument("--contacts", default="1000000", help="Sizes, comma-separated.")
    parser.add_argument("--events-per-contact", type=int, default=10)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--out", default="benchmarks/results/million.json")
    args = parser.parse_args()
    if args.mode == "build":
        print(json.dumps(build(args.contacts, args.events_per_contact)))
        return
    if args.mode == "day":
        print(json.dumps(day(args.connections)))
        return
    kinds = [
        k for k, off in (("sqlite", args.no_sqlite), ("postgres", args.no_postgres)) if not off
    ]
    sizes = [int(s) for s in args.contacts.split(",")]
    port = free_port()
    sink = start_process("benchmarks.sink", str(port))
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for kind in kinds:
                for size in sizes:
                    rows.append(
                        measure(
                            kind, size, args.events_per_contact, port, args.connections, Path(tmp)
                        )
                    )
                    print(f"done: {kind} {size:,}", file=sys.stderr, flush=True)
    finally:
        sink.terminate()
    report(rows)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2, default=str))


if __name__ == "__main__":
    main()
