"""What the send benchmarks share: sinks in their own processes, fresh databases, the sample
message, and (b), Goteo's workers run over a scenario (``benchmarks.scenario``) to a sink."""

from __future__ import annotations

import argparse
import atexit
import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from goteo.channels.base import OutgoingEmail

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_process(module: str, *args: str) -> subprocess.Popen[str]:
    """``python -m module *args``, once it prints ``ready``."""
    sink = subprocess.Popen(
        [sys.executable, "-m", module, *args], stdout=subprocess.PIPE, text=True
    )
    assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
    return sink


def sample(i: int) -> OutgoingEmail:
    html = "<p style='color:#333'>Hola Zoë, el marketing por goteo…</p>" * 20
    return OutgoingEmail(
        delivery_id=i,
        message_id=f"<raw.{i}@goteo.example.com>",
        from_addr="Goteo Bench <bench@goteo.example.com>",
        to_addr=f"p{i}@example.com",
        to_name=f"Zoë Núñez {i}",
        subject=f"Bienvenida, Zoë {i} — ¿empezamos?",
        html=html,
        text="Hola Zoë, el marketing por goteo…\n" * 20,
    )


def run_module(module: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``python -m module *args`` in a process of its own (so its peak memory is its own):
    the JSON object it prints last."""
    out = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, env=env
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def scenario(*args: str) -> dict[str, Any]:
    return run_module("benchmarks.scenario", *args)


def fresh_db(kind: str, folder: Path) -> str:
    """A new database for one run. A PostgreSQL one is dropped when this process ends (set
    GOTEO_BENCH_KEEP=1 to keep it, for looking at it afterwards)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.sqlite3'}"
    import psycopg

    name = f"goteo_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    if not os.environ.get("GOTEO_BENCH_KEEP"):
        atexit.register(_drop_database, name)
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(
    kind: str, contacts: int, workers: int, email_url: str, folder: Path, connections: int = 1
) -> dict[str, Any]:
    """(b): ``contacts`` enrolled, then ``workers`` processes with ``connections`` each
    sending two messages per contact (two virtual days) through ``email_url``."""
    db = fresh_db(kind, folder)
    env = os.environ | {"GOTEO_EMAIL_CONNECTIONS": str(connections)}
    prepared = scenario(
        "prepare", "--db", db, "--email-url", email_url, "--contacts", str(contacts)
    )
    sent, scheduling, steps, peak, elapsed, cpu = 0, 0.0, 0, 0.0, 0.0, 0.0
    for day in (0, 1):
        command = [sys.executable, "-m", "benchmarks.scenario", "work", "--db", db]
        command += ["--email-url", email_url, "--day", str(day)]
        procs = [
            subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
            for _ in range(workers)
        ]
        results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
        # From the first worker starting work to the last finishing (process start-up excluded).
        elapsed += max(r["wall_end"] for r in results) - min(r["wall_start"] for r in results)
        sent += sum(r["sent"] for r in results)
        cpu += sum(r["cpu_s"] for r in results)
        steps += sum(r["steps"] for r in results)
        scheduling += max(r["scheduling_s"] for r in results)
        peak = max(peak, *(r["peak_rss_mb"] for r in results))
    assert sent == 2 * contacts, f"sent {sent} of {2 * contacts}"
    return {
        "db": kind,
        "contacts": contacts,
        "workers": workers,
        "connections": connections,
        "messages": sent,
        "messages_per_s": sent / elapsed,
        "claim_per_s": steps / scheduling if scheduling else 0,
        "worker_cpu_ms_per_msg": 1000 * cpu / sent,
        "peak_rss_mb": peak,
        **prepared,
    }


def parse_runs(text: str) -> list[tuple[int, int, int]]:
    """``2000x1,2000x1c4`` -> [(2000, 1, 1), (2000, 1, 4)]: contacts, workers, connections."""
    runs = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        contacts, _, rest = part.partition("x")
        workers, _, connections = rest.partition("c")
        runs.append((int(contacts), int(workers), int(connections or 1)))
    return runs


def common_arguments(parser: argparse.ArgumentParser, out: str, quick: str) -> None:
    """The options every send benchmark takes: --quick, --no-postgres, --no-sqlite, --out."""
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--out", default=out)
