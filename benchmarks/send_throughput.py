"""Send throughput: Goteo end to end against the raw SMTP limit, measured in the same run.

    python -m benchmarks.send_throughput [--quick] [--no-postgres] [--dkim] [--ledger]

(a) raw limit: a bare smtplib loop pushing pre-rendered messages over one connection to a local
sink; (b) Goteo: contacts enrolled in a three-step campaign (send, wait 1d, send), the clock
moved forward, workers rendering and delivering every message to the same sink. Prints a table
of messages per second, the ratio b/a, the scheduler's claim rate and peak memory. With --dkim,
the workers DKIM-sign every message with a new 2048-bit RSA key (the raw limit stays unsigned).
With --ledger, only (b), with the exposure ledger on and off (GOTEO_EXPOSURE_LEDGER), in
alternating runs, and the ledger's cost.
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from benchmarks.worker_runs import (
    common_arguments,
    free_port,
    measure,
    parse_runs,
    sample,
    start_process,
)
from goteo.channels.email.mime import build_message


def smtp_url(port: int) -> str:
    return f"smtp://127.0.0.1:{port}"


def raw_limit(port: int, count: int, connections: int = 1) -> float:
    """Messages per second of bare smtplib loops with pre-rendered messages: one connection,
    or ``connections`` of them at once, a thread each (as a worker's connections are)."""
    now = datetime.now(UTC)
    messages = [(m.to_addr, build_message(m, now)) for m in map(sample, range(count))]
    shares = [messages[i::connections] for i in range(connections)]
    clients = [smtplib.SMTP("127.0.0.1", port) for _ in shares]
    start = threading.Barrier(connections + 1)

    def loop(smtp: smtplib.SMTP, share: list[tuple[str, bytes]]) -> None:
        start.wait()
        for to, data in share:
            smtp.sendmail("bench@goteo.example.com", [to], data)

    threads = [
        threading.Thread(target=loop, args=pair) for pair in zip(clients, shares, strict=True)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    rate = count / (time.perf_counter() - started)
    for smtp in clients:
        smtp.quit()
    return rate


def assembly_rates(count: int = 3000) -> dict[str, float]:
    """Building and serialising messages: ours against the standard library's EmailMessage."""
    now = datetime.now(UTC)
    items = [sample(i) for i in range(count)]
    started = time.perf_counter()
    for m in items:
        build_message(m, now)
    ours = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for m in items:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = (
            m.from_addr,
            f"{m.to_name} <{m.to_addr}>",
            m.subject,
        )
        msg.set_content(m.text)
        msg.add_alternative(m.html, subtype="html")
        msg.as_bytes()
    return {"goteo": ours, "stdlib": count / (time.perf_counter() - started)}


def ledger_cost(kind: str, contacts: int, port: int, folder: Path, rounds: int) -> dict[str, Any]:
    """(b) with the exposure ledger on and off, alternating (so a busier moment of the machine
    weighs on both alike): the median rate and worker CPU per message of each, and the cost.
    CPU time moves far less than wall time on a shared machine (on PostgreSQL it leaves out
    the server's share)."""
    runs: dict[str, list[dict[str, Any]]] = {"on": [], "off": []}
    for i in range(rounds):
        for setting in ("on", "off") if i % 2 == 0 else ("off", "on"):
            os.environ["GOTEO_EXPOSURE_LEDGER"] = setting
            runs[setting].append(measure(kind, contacts, 1, smtp_url(port), folder))
    os.environ.pop("GOTEO_EXPOSURE_LEDGER")

    def median(setting: str, key: str) -> float:
        return float(statistics.median(r[key] for r in runs[setting]))

    on, off = median("on", "messages_per_s"), median("off", "messages_per_s")
    cpu_on, cpu_off = median("on", "worker_cpu_ms_per_msg"), median("off", "worker_cpu_ms_per_msg")
    return {
        "db": kind, "contacts": contacts, "rounds": rounds, "on": on, "off": off,
        "cost": 1 - on / off, "cpu_on_ms": cpu_on, "cpu_off_ms": cpu_off,
        "cpu_cost": cpu_on / cpu_off - 1,
        "peak_rss_mb": max(r["peak_rss_mb"] for v in runs.values() for r in v),
        "runs": {k: [(r["messages_per_s"], r["worker_cpu_ms_per_msg"]) for r in v]
                 for k, v in runs.items()},
    }  # fmt: skip


def ledger_report(costs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    for c in costs:
        print(
            f"{c['db']:9} {c['contacts']} contacts, median of {c['rounds']}: ledger on "
            f"{c['on']:,.0f} msg/s, off {c['off']:,.0f} msg/s, cost {c['cost']:.1%}; worker CPU "
            f"{c['cpu_on_ms']:.2f} against {c['cpu_off_ms']:.2f} ms/msg, cost {c['cpu_cost']:.1%}; "
            f"peak {c['peak_rss_mb']:.0f} MB"
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"ledger": costs}, indent=2))


def enable_dkim(folder: Path) -> None:
    """A fresh 2048-bit key; the worker processes inherit the settings that turn signing on."""
    from goteo.channels.email.dkim import generate_key_pair

    key_file = generate_key_pair(folder / "dkim", "bench")
    os.environ.update(
        GOTEO_DKIM="auto",
        GOTEO_DKIM_SELECTOR="bench",
        GOTEO_DKIM_PRIVATE_KEY_FILE=str(key_file),
        GOTEO_DKIM_DOMAIN="goteo.example.com",
    )
    print(f"DKIM signing on (rsa-sha256, 2048 bits, key {key_file})", file=sys.stderr)


def signing_costs(key_file: Path, count: int = 300) -> dict[str, float]:
    """Milliseconds per message: our Signer (OpenSSL) and dkimpy's pure-Python sign()."""
    import dkim

    from goteo.channels.email.dkim import Signer

    now = datetime.now(UTC)
    messages = [build_message(sample(i), now) for i in range(count)]
    signer = Signer.from_file("bench", "goteo.example.com", key_file)
    started = time.perf_counter()
    for data in messages:
        signer.sign(data)
    ours = (time.perf_counter() - started) / count * 1000
    pem, few = key_file.read_bytes(), messages[: max(count // 10, 1)]
    started = time.perf_counter()
    for data in few:
        dkim.sign(data, b"bench", b"goteo.example.com", pem)
    return {"goteo_ms": ours, "dkimpy_ms": (time.perf_counter() - started) / len(few) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    common_arguments(parser, "benchmarks/results/latest.json", "Smaller counts (a smoke run).")
    parser.add_argument("--dkim", action="store_true", help="Workers DKIM-sign every message.")
    parser.add_argument(
        "--ledger", action="store_true", help="The exposure ledger's cost: (b) with it on and off."
    )
    parser.add_argument("--rounds", type=int, default=3, help="With --ledger: runs of each.")
    parser.add_argument(
        "--runs",
        help="Only these runs, as contacts x workers, with c and the connections per worker: "
        "2000x1,2000x1c4,2000x4 (default: all).",
    )
    args = parser.parse_args()
    small, large = (2000, 5000) if args.quick else (10_000, 50_000)
    runs = (
        parse_runs(args.runs)
        if args.runs
        else [(small, 1, 1), (large, 1, 1), (small, 1, 4), (small, 2, 1), (small, 4, 1)]
    )
    folder = Path(f"/tmp/goteo-bench-{uuid.uuid4().hex[:6]}")
    folder.mkdir(parents=True)
    if args.dkim:
        enable_dkim(folder)
    port = free_port()
    sink = start_process("benchmarks.sink", str(port))
    if args.ledger:
        try:
            kinds = [k for k in ("sqlite", "postgres") if not getattr(args, f"no_{k}")]
            ledger_report([ledger_cost(k, small, port, folder, args.rounds) for k in kinds], args)
        finally:
            sink.terminate()
        return
    try:
        raw = raw_limit(port, 3000 if args.quick else 10_000)
        rows = []
        kinds = [k for k in ("sqlite", "postgres") if not getattr(args, f"no_{k}")]
        for kind in kinds:
            for contacts, workers, connections in runs:
                # The raw limit again right before each run, with as many connections in all
                # as the run has: on a shared machine the load moves.
                total = workers * connections
                before = raw_limit(port, 1000 if args.quick else 3000, total)
                row = measure(kind, contacts, workers, smtp_url(port), folder, connections)
                rows.append(row | {"dkim": args.dkim, "raw_before_per_s": before})
                print(
                    f"  done: {kind} {contacts} contacts, {workers} worker(s) x {connections}",
                    file=sys.stderr,
                )
    finally:
        sink.terminate()
    report(raw, assembly_rates(), rows, Path(args.out))
    if args.dkim:
        costs = signing_costs(Path(os.environ["GOTEO_DKIM_PRIVATE_KEY_FILE"]))
        print(
            f"DKIM signing, 2048-bit RSA: goteo {costs['goteo_ms']:.2f} ms/msg,"
            f" dkimpy's own sign() {costs['dkimpy_ms']:.2f} ms/msg"
        )


def report(raw: float, assembly: dict[str, float], rows: list[dict[str, Any]], out: Path) -> None:
    print(f"raw limit (bare smtplib, 1 connection, pre-rendered): {raw:,.0f} msg/s")
    print(
        f"message assembly: goteo {assembly['goteo']:,.0f}/s, "
        f"stdlib EmailMessage {assembly['stdlib']:,.0f}/s"
    )
    print(
        "b/a: against the one-connection raw limit above; b/a': against the raw limit measured"
        " right before, with as many connections as the run (conns: per worker)"
    )
    header = (
        f"{'db':9} {'contacts':>8} {'workers':>7} {'conns':>5} {'msg/s':>8} {'b/a':>6} {'raw':>6} "
    )
    print(header + f"{'b/a':>5}' {'claims/s':>9} {'peak MB':>8} {'import/s':>9} {'enroll/s':>9}")
    for r in rows:
        before = r["raw_before_per_s"]
        print(
            f"{r['db']:9} {r['contacts']:>8} {r['workers']:>7} {r['connections']:>5} "
            f"{r['messages_per_s']:>8,.0f} "
            f"{r['messages_per_s'] / raw:>6.2f} {before:>6,.0f} "
            f"{r['messages_per_s'] / before:>5.2f}  "
            f"{r['claim_per_s']:>9,.0f} {r['peak_rss_mb']:>8.0f} "
            f"{r['import_per_s']:>9,.0f} {r['enroll_per_s']:>9,.0f}"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"raw_per_s": raw, "assembly": assembly, "runs": rows}, indent=2))


if __name__ == "__main__":
    main()
