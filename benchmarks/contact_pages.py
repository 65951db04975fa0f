"""The contacts list on many contacts: pages by id, a condition, a search, against a bare query.

    python -m benchmarks.contact_pages [--contacts 1000000] [--no-postgres]

Fills a fresh database with N contacts (one in five Spanish, scores 0–99, fifty first names
spread evenly, one rare name near the end), then times ``list_contacts`` (what the web app's
contacts page, ``goteo contacts list`` and the API read through) for 50-row pages: the first,
one near the end (cursor), the one before it (backward), a condition's first page, a common
search (one contact in fifty) and a rare one (a single match near the end: the whole table is
walked). (a) the raw limit: the bare SQL of a first page, the same columns (``WHERE id > ?
ORDER BY id LIMIT 51``) through the driver, rows left as the driver gives them, in the same
run. Prints the median of 5 runs of each, the ratio to
(a), the query plans of the paging and the condition queries, and the peak memory (RSS).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

POSTGRES_ADMIN = os.environ.get(
    "GOTEO_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres"
)
POSTGRES_DB = "goteo_people_bench"
NAMES = [f"Name{i:02d}" for i in range(49)] + ["María"]
RUNS = 5
PAGE = 50


def _rows(count: int) -> Iterator[tuple[Any, ...]]:
    now = datetime.now(UTC).isoformat()
    rare = count - 10
    return (
        (
            f"person{i}@example.com", "Zuriñe" if i == rare else NAMES[i % len(NAMES)], f"L{i}",
            "es" if i % 5 == 0 else "en", "", "", "", "{}", "{}", "active", 0, "[]",
            float(i % 100), "", now, now,
        )
        for i in range(count)
    )  # fmt: skip


COLUMNS = (
    "email, first_name, last_name, locale, timezone, phone, sms_consent, attributes, "
    "postal_address, status, soft_bounces, tags, score, owner, created_at, updated_at"
)


def fill(count: int) -> None:
    from django.db import connection, transaction

    rows = _rows(count)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            copy_sql = f"COPY goteo_contact ({COLUMNS}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * 16)
            cursor.executemany(
                f"INSERT INTO goteo_contact ({COLUMNS}) VALUES ({marks})", cast(Any, rows)
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _median(run: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _plan(sql: str, params: list[Any]) -> list[str]:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return [" ".join(str(c) for c in row) for row in cursor.fetchall()]


def run(count: int) -> dict[str, Any]:
    """(In its own process, with the database's settings.) Migrate, fill, measure."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from goteo.actions.contact_list import SUMMARY, list_contacts, matching

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    fill(count)
    fill_seconds = time.perf_counter() - started
    now = datetime.now(UTC)
    ids = list(matching(None, "", now).order_by("-id").values_list("id", flat=True)[:1000])
    deep = str(ids[-1])
    where = "{locale: es, score: {gte: 50}}"

    def bare() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(SUMMARY)}, score_updated_at FROM goteo_contact "
                "WHERE id > %s ORDER BY id LIMIT 51",
                [0],
            )
            cursor.fetchall()

    cases: dict[str, Callable[[], object]] = {
        "first page": lambda: list_contacts(None, PAGE, None, now),
        "page near the end": lambda: list_contacts(None, PAGE, deep, now),
        "the page before it": lambda: list_contacts(None, PAGE, deep, now, backward=True),
        f"condition {where}": lambda: list_contacts(where, PAGE, None, now),
        "search, 1 in 50 match": lambda: list_contacts(None, PAGE, None, now, search="maría"),
        "search, 1 match near the end": lambda: list_contacts(
            None, PAGE, None, now, search="zuriñe"
        ),
        "search, a whole address": lambda: list_contacts(
            None, PAGE, None, now, search=f"person{count - 5}@example.com"
        ),
    }
    raw = _median(bare)
    timed = {name: _median(case) for name, case in cases.items()}
    assert len(list_contacts(None, PAGE, None, now, search="zuriñe").contacts) == 1
    paging = matching(None, "", now).filter(id__gt=int(deep)).order_by("id")[: PAGE + 1]
    backward = matching(None, "", now).filter(id__lt=int(deep)).order_by("-id")[: PAGE + 1]
    condition = matching(where, "", now).filter(id__gt=0).order_by("id")[: PAGE + 1]
    plans = {}
    for name, query in (("page", paging), ("backward page", backward), ("condition", condition)):
        sql, params = query.query.sql_with_params()
        plans[name] = _plan(sql, list(params))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "db": connection.vendor,
        "contacts": count,
        "fill_seconds": fill_seconds,
        "raw": raw,
        "timed": timed,
        "plans": plans,
        "peak_mb": peak,
    }


def _database(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'contacts.sqlite3'}"
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}"')
        conn.execute(f'CREATE DATABASE "{POSTGRES_DB}"')
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{POSTGRES_DB}"


def _drop(kind: str) -> None:
    if kind == "postgres":
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}"')


def measure(kind: str, count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="goteo-bench-contacts-") as tmp:
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOTEO_")}
        env |= {
            "GOTEO_DATA_DIR": str(folder / "data"),
            "GOTEO_DATABASE_URL": _database(kind, folder),
            "GOTEO_SECRET_KEY": "bench",
            "DJANGO_SETTINGS_MODULE": "goteo.settings",
        }
        try:
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.contact_pages", "--run", str(count)],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
        finally:
            _drop(kind)
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def report(result: dict[str, Any]) -> str:
    out = io.StringIO()
    raw = result["raw"]
    out.write(
        f"{result['db']}: {result['contacts']:,} contacts "
        f"(filled in {result['fill_seconds']:.0f} s), peak {result['peak_mb']:.0f} MB\n"
        f"  (a) bare SQL first page: {raw * 1000:.2f} ms\n"
    )
    for name, seconds in result["timed"].items():
        out.write(f"  {name:<42} {seconds * 1000:9.2f} ms  {seconds / raw:8.1f} × (a)\n")
    for name, lines in result["plans"].items():
        out.write(f"  plan of the {name} query:\n")
        out.writelines(f"    {line}\n" for line in lines)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run is not None:
        print(json.dumps(run(args.run)))
        return
    for kind in ("sqlite",) if args.no_postgres else ("sqlite", "postgres"):
        print(report(measure(kind, args.contacts)), flush=True)


if __name__ == "__main__":
    main()
