"""Claims at a million due enrollments: Goteo's claims against a bare batched claim of the rows.

    python -m benchmarks.claims [--enrollments 1000000] [--rows 50000] [--no-postgres]

Fills a fresh database with N contacts, one active, due journey each in a running campaign,
and one pending message per journey (bulk SQL: a recursive CTE on SQLite, generate_series on
PostgreSQL; due times spread over eleven days, out of id order). Then, in the same run, three
runs of each pair, the two claims taking a batch in turn (the first one alternating), so a
busier moment of the shared machine weighs on both alike:

- (a) the bare batched claim: ``SELECT id ... WHERE status = 'active' AND due_at <= now AND
  lease_until < wall ORDER BY due_at LIMIT batch`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL)
  and ``UPDATE ... SET lease_owner, lease_until WHERE id IN (...)``, raw SQL, one transaction
  per batch; the same for the messages (``ORDER BY next_attempt_at, id``);
- (b) Goteo's claims: ``claim_enrollments`` and ``claim_deliveries`` with the worker's batch
  sizes, ``--rows`` journeys and a fifth as many messages per run;
- (c) once, claim and advance (``run_enrollments``: the engine, the outbox rows), with the
  time of each, to show where the scheduler's time goes.

Between batches, untimed, the claimed rows are let go with a due time a hundred days on, as
the advance moves them: leased rows do not pile up at the head of the due order (a worker's
own never do), and each batch claims the next rows alike; on SQLite the write-ahead log is
checkpointed there too. Prints rows per second, the ratios b/a (the medians), the load
average, the peak memory (RSS) and the plan of each hot query (EXPLAIN QUERY PLAN on SQLite,
EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, rolled back). The PostgreSQL database is dropped at
the end (GOTEO_BENCH_KEEP=1 keeps it).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from benchmarks.scenario import CAMPAIGN, T0
from benchmarks.worker_runs import fresh_db, run_module

ROUNDS = 3
NOW = T0 + timedelta(minutes=1)
SPREAD = 1_000_000  # seconds (11.6 days) over which the due times are spread


def _fill_sql(vendor: str, count: int) -> tuple[str, str, str]:
    """The statements that insert ``count`` contacts, then one journey for each of them, then
    one message waiting to be sent for each journey (as due as the journey)."""
    contact_columns = (
        "email, first_name, last_name, locale, timezone, attributes, status, created_at, "
        "updated_at, soft_bounces, owner, score, tags, phone, sms_consent, postal_address"
    )
    journey_columns = (
        "contact_id, campaign_id, version_id, status, state, due_at, lease_owner, "
        "lease_until, enrolled_at, end_reason, variant"
    )
    # Due times out of id order: the claim's order is not the table's.
    offset = f"((c.id * 7919) %% {SPREAD})"
    j = "::jsonb" if vendor == "postgresql" else ""  # the JSON columns' type
    if vendor == "postgresql":
        numbers = f"SELECT {{}} FROM generate_series(1, {count}) AS i"
        due = f"%(t0)s::timestamptz - ({offset} * interval '1 second')"
    else:
        numbers = (
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) "
            "SELECT {} FROM n"
        )
        due = f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', %(epoch)s - {offset}, 'unixepoch')"
    plan = """'{"plan": "p' || (i %% 7) || '"}'"""
    contacts = f"INSERT INTO goteo_contact ({contact_columns}) " + numbers.format(
        "'p' || i || '@example.com', 'Zoë' || i, 'Núñez', "
        "CASE WHEN i %% 3 = 0 THEN 'es' ELSE 'en' END, 'Europe/Madrid', "
        f"({plan}){j}, 'active', %(t0)s, %(t0)s, 0, '', 0, '[]'{j}, '', '', '{{}}'{j}"
    )
    journeys = (
        f"INSERT INTO goteo_enrollment ({journey_columns}) "
        f"SELECT c.id, %(campaign)s, %(version)s, 'active', %(state)s{j}, {due}, '', 0, %(t0)s, "
        "'', '' FROM goteo_contact c WHERE c.id <> %(first)s"
    )
    message_columns = (
        "contact_id, enrollment_id, campaign_id, kind, context, step_id, channel, template, "
        "locale, status, attempts, next_attempt_at, lease_owner, lease_until, to_address, "
        "subject, message_id, last_error, created_at, links, opens, clicks"
    )
    messages = (
        f"INSERT INTO goteo_delivery ({message_columns}) "
        f"SELECT contact_id, id, campaign_id, 'marketing', '{{}}'{j}, 'earlier', 'email', "
        f"'welcome', 'en', 'pending', 0, due_at, '', 0, '', '', '', '', due_at, '[]'{j}, 0, 0 "
        "FROM goteo_enrollment"
    )
    return contacts, journeys, messages


def fill(count: int) -> dict[str, Any]:
    """One journey enrolled through the actions (its state is the template), then ``count``
    contacts, journeys and messages in three statements."""
    from django.db import connection, transaction

    from goteo.actions.campaigns import do_apply_campaign
    from goteo.actions.contacts import do_upsert_contact
    from goteo.actions.enroll import do_enroll
    from goteo.campaigns.models import Campaign, Enrollment

    do_apply_campaign(CAMPAIGN)
    first = do_upsert_contact({"email": "first@example.com"}).contact.id
    do_enroll("bench", [first], T0)
    template = Enrollment.objects.get(contact_id=first)
    campaign = Campaign.objects.get(key="bench")
    assert campaign.status == "active", campaign.status
    field = Enrollment._meta.get_field("due_at")
    params = {
        "first": first,
        "campaign": campaign.id,
        "version": template.version_id,
        "state": json.dumps(template.state),
        "t0": field.get_db_prep_value(T0, connection),
        "epoch": T0.timestamp(),
    }
    contacts, journeys, messages = _fill_sql(connection.vendor, count)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(contacts, params)
        cursor.execute(journeys, params)
        cursor.execute(messages, params)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT COUNT(*) FROM goteo_enrollment WHERE due_at <= %s", [params["t0"]])
        due = cursor.fetchone()[0]
    assert due == count + 1, due
    return {"fill_seconds": time.perf_counter() - started}


def _moment(value: datetime) -> Any:
    from django.db import connection

    from goteo.campaigns.models import Enrollment

    return Enrollment._meta.get_field("due_at").get_db_prep_value(value, connection)


@dataclass(frozen=True)
class Queue:
    """A table of due rows and how a claim takes them."""

    table: str
    due: str  # the due time's column
    status: str  # the status of a row waiting for its time
    order: str


JOURNEYS = Queue("goteo_enrollment", "due_at", "active", "due_at")
MESSAGES = Queue("goteo_delivery", "next_attempt_at", "pending", "next_attempt_at, id")


def bare_claim(queue: Queue, owner: str, limit: int, lease: float) -> list[int]:
    """The raw limit: the same rows, picked and leased in two plain statements."""
    from django.db import connection, transaction

    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    wall = time.time()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {queue.table} WHERE status = '{queue.status}' "
            f"AND {queue.due} <= %s AND lease_until < %s ORDER BY {queue.order} LIMIT %s{lock}",
            [_moment(NOW), wall, limit],
        )
        ids = [row[0] for row in cursor.fetchall()]
        if ids:
            cursor.execute(
                f"UPDATE {queue.table} SET lease_owner = %s, lease_until = %s "
                f"WHERE id IN ({', '.join(['%s'] * len(ids))})",
                [owner, wall + lease, *ids],
            )
    return ids


def release(queue: Queue, ids: list[int]) -> None:
    """As the advance or the send would (untimed): the rows let go, due a hundred days on."""
    from django.db import connection

    later = (
        f"{queue.due} + interval '100 days'"
        if connection.vendor == "postgresql"
        else f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', {queue.due}, '+100 days')"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {queue.table} SET lease_owner = '', lease_until = 0, {queue.due} = {later} "
            f"WHERE id IN ({', '.join(['%s'] * len(ids))})",
            ids,
        )
        if connection.vendor == "sqlite":
            # The write-ahead log copied back now: a checkpoint the next claim would otherwise
            # trigger and pay for falls on whichever claim comes next, skewing the pair.
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


def claim_and_advance(claim: Callable[[], list[int]], rows: int) -> tuple[float, float]:
    """Seconds spent claiming and advancing (``run_enrollments``) until ``rows`` are done."""
    from goteo.worker.scheduler import run_enrollments

    done, claiming, advancing = 0, 0.0, 0.0
    while done < rows:
        started = time.perf_counter()
        ids = claim()
        claimed = time.perf_counter()
        assert ids, f"nothing left to claim after {done}"
        run_enrollments(ids, "bench-goteo", NOW)
        claiming, advancing = (
            claiming + claimed - started,
            advancing + time.perf_counter() - claimed,
        )
        done += len(ids)
    return claiming, advancing


def interleaved(
    queue: Queue, cases: dict[str, Callable[[], list[int]]], rows: int
) -> dict[str, float]:
    """Rows per second of each claim, batch by batch in turn (the first one alternating), each
    claiming ``rows`` in all: a busier moment of the shared machine weighs on both alike."""
    claimed = dict.fromkeys(cases, 0)
    seconds = dict.fromkeys(cases, 0.0)
    turn = 0
    while min(claimed.values()) < rows:
        names = list(cases) if turn % 2 == 0 else list(reversed(cases))
        for name in names:
            started = time.perf_counter()
            ids = cases[name]()
            seconds[name] += time.perf_counter() - started
            assert ids, f"nothing left to claim after {claimed}"
            claimed[name] += len(ids)
            release(queue, ids)
        turn += 1
    return {name: claimed[name] / seconds[name] for name in cases}


def plans(run: Callable[[], Any]) -> list[dict[str, Any]]:
    """The plan of each statement ``run`` executes (the first of each shape), rolled back."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured:
            run()
        transaction.set_rollback(True)
    seen: set[str] = set()
    found = []
    for query in captured.captured_queries:
        sql = query["sql"]
        shape = re.sub(r"[0-9.e+]+", "", sql)[:300]
        if shape in seen or not sql.lstrip().upper().startswith(
            ("SELECT", "UPDATE", "WITH", "INSERT")
        ):
            continue
        seen.add(shape)
        found.append({"sql": sql, "plan": _explain(sql)})
    return found


def _explain(sql: str) -> list[str]:
    from django.db import connection, transaction

    postgres = connection.vendor == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(prefix + sql.replace("%", "%%"))
        rows = cursor.fetchall()
        transaction.set_rollback(True)
    if postgres:
        return [str(r[0]) for r in rows]
    return [f"{'  ' * _depth(rows, r)}{r[3]}" for r in rows]


def _depth(rows: list[tuple[Any, ...]], row: tuple[Any, ...]) -> int:
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent in parents:
        depth, parent = depth + 1, parents[parent]
    return depth


def run(count: int, rows: int) -> dict[str, Any]:
    """(In its own process, with the database's settings.) Migrate, fill, measure."""
    from benchmarks.scenario import setup

    setup(os.environ["GOTEO_DATABASE_URL"], "smtp://127.0.0.1:25")  # it sends nothing
    from django.db import connection

    from goteo.worker.claims import claim_deliveries, claim_enrollments
    from goteo.worker.loop import Worker
    from goteo.worker.scheduler import run_enrollments

    defaults = Worker.__dataclass_fields__
    batch = cast(int, defaults["batch"].default)
    send_batch = cast(int, defaults["send_batch"].default)
    lease = cast(float, defaults["lease_seconds"].default)
    filled = fill(count)
    journeys: dict[str, Callable[[], list[int]]] = {
        "bare": lambda: bare_claim(JOURNEYS, "bench-bare", batch, lease),
        "goteo": lambda: claim_enrollments("bench-goteo", NOW, batch, lease),
    }
    messages: dict[str, Callable[[], list[int]]] = {
        "bare": lambda: bare_claim(MESSAGES, "bench-bare", send_batch, lease),
        "goteo": lambda: claim_deliveries("bench-goteo", NOW, send_batch, lease),
    }
    rates: dict[str, list[float]] = {
        "bare": [], "goteo": [], "bare_messages": [], "goteo_messages": []
    }  # fmt: skip
    loads: list[float] = []
    for _ in range(ROUNDS):
        loads.append(os.getloadavg()[0])
        for name, rate in interleaved(JOURNEYS, journeys, rows).items():
            rates[name].append(rate)
        for name, rate in interleaved(MESSAGES, messages, rows // 5).items():
            rates[f"{name}_messages"].append(rate)
    advanced_rows = max(rows // 5, batch)
    loads.append(os.getloadavg()[0])
    claiming, advancing = claim_and_advance(journeys["goteo"], advanced_rows)

    def advance(ids: list[int]) -> None:
        run_enrollments(ids, "bench-goteo", NOW)

    hot = {
        "bare claim": plans(journeys["bare"]),
        "claim_enrollments": plans(journeys["goteo"]),
        # The claim the advance runs after is shown above: its own statements only.
        "run_enrollments": plans(lambda: advance(journeys["goteo"]()))[1:],
        "bare claim of messages": plans(messages["bare"]),
        "claim_deliveries": plans(messages["goteo"]),
    }
    return {
        "db": connection.vendor,
        "enrollments": count,
        "rows": rows,
        "batch": batch,
        "send_batch": send_batch,
        "fill_seconds": filled["fill_seconds"],
        **rates,
        "advanced_rows": advanced_rows,
        "claiming_seconds": claiming,
        "advancing_seconds": advancing,
        "load": loads,
        "plans": hot,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(kind: str, count: int, rows: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="goteo-bench-claims-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOTEO_")}
        env |= {"GOTEO_DATABASE_URL": fresh_db(kind, Path(tmp))}
        return run_module("benchmarks.claims", "--run", str(count), "--rows", str(rows), env=env)


def report(result: dict[str, Any]) -> str:
    out = io.StringIO()
    load = result["load"]
    out.write(
        f"{result['db']}: {result['enrollments']:,} due enrollments and as many pending "
        f"deliveries (filled in {result['fill_seconds']:.0f} s), load average "
        f"{min(load):.2f}-{max(load):.2f}, peak {result['peak_mb']:.0f} MB\n"
    )
    for what, key, size, rows in (
        ("enrollments", "", result["batch"], result["rows"]),
        ("deliveries", "_messages", result["send_batch"], result["rows"] // 5),
    ):
        bare = statistics.median(result[f"bare{key}"])
        goteo = statistics.median(result[f"goteo{key}"])
        out.write(
            f"  {what}, batches of {size}, {rows:,} rows per run, median of {ROUNDS}:\n"
            f"    (a) bare batched claim  {bare:>9,.0f} rows/s  "
            f"(runs: {', '.join(f'{r:,.0f}' for r in result[f'bare{key}'])})\n"
            f"    (b) claim_{what:<13} {goteo:>9,.0f} rows/s  "
            f"(runs: {', '.join(f'{r:,.0f}' for r in result[f'goteo{key}'])})\n"
            f"    b/a                     {goteo / bare:>9.2f}\n"
        )
    claiming, advancing = result["claiming_seconds"], result["advancing_seconds"]
    rows = result["advanced_rows"]
    out.write(
        f"  (c) claim + run_enrollments: {rows / (claiming + advancing):,.0f} rows/s "
        f"({rows:,} rows; claiming {rows / claiming:,.0f} rows/s, advancing "
        f"{rows / advancing:,.0f} rows/s: {advancing / (claiming + advancing):.0%} of the time)\n"
    )
    for name, queries in result["plans"].items():
        out.write(f"  plans of {name}:\n")
        for query in queries:
            out.write(f"    {query['sql'][:160]}\n")
            out.writelines(f"      {line[:200]}\n" for line in query["plan"])
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enrollments", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=50_000, help="Rows claimed per timed run.")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run is not None:
        print(json.dumps(run(args.run, args.rows)))
        return
    assert args.rows * (2 * ROUNDS + 1) <= args.enrollments, "--rows too large for --enrollments"
    kinds = [k for k in ("sqlite", "postgres") if not getattr(args, f"no_{k}")]
    for kind in kinds:
        print(report(measure(kind, args.enrollments, args.rows)), flush=True)


if __name__ == "__main__":
    main()
