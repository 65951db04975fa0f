"""Send throughput through a provider's HTTP API (anymail's Postmark backend) against the raw
limit of the same HTTP client, measured in the same run.

    python -m benchmarks.provider_http [--quick] [--no-postgres] [--no-sqlite]
        [--runs 2000x1,2000x1c4] [--latency-ms 0,20] [--raw N]

A loopback endpoint answering like Postmark's ``POST /email`` runs in its own process
(``benchmarks.postmark_sink``). (a) The raw limit: bare ``requests.Session`` loops posting the
request bodies anymail builds for sample messages, built beforehand, one session per thread,
with as many threads as the run's connections, measured right before each run. (b) Goteo: the
scenario's workers (``benchmarks.scenario``) sending through ``anymail+postmark://`` with
``GOTEO_EMAIL_CONNECTIONS`` connections. Prints messages per second, b/a at the same
concurrency, CPU per message of the worker and of the raw loop, peak memory, and the load
average at the end of each run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
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

TOKEN = "bench-server-token"


def request_params(api_url: str, count: int) -> list[dict[str, Any]]:
    """What anymail's Postmark backend would post for ``count`` sample messages."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(ANYMAIL={"POSTMARK_SERVER_TOKEN": TOKEN})
    from django.core.mail import get_connection

    from goteo.channels.email.django_channel import DjangoBackendChannel

    backend = get_connection("anymail.backends.postmark.EmailBackend", api_url=api_url)
    params = []
    for i in range(count):
        email = DjangoBackendChannel._email(sample(i))
        payload = backend.build_message_payload(email, backend.send_defaults)
        params.append(payload.get_request_params(backend.api_url))
    return params


def raw_limit(params: list[dict[str, Any]], threads: int = 1) -> dict[str, float]:
    """Messages per second of bare ``requests.Session`` loops, one per thread, each posting its
    share of ``params`` and decoding the answer; and the loop's CPU per message."""
    import requests

    shares = [params[i::threads] for i in range(threads)]
    start = threading.Barrier(threads + 1)
    failures: list[int] = []

    def loop(share: list[dict[str, Any]]) -> None:
        with requests.Session() as session:
            session.post(share[0]["url"], data=b"{}", headers=share[0]["headers"])  # connect
            start.wait()
            for p in share:
                response = session.request(**p, timeout=30)
                if response.status_code != 200 or response.json()["ErrorCode"] != 0:
                    failures.append(response.status_code)

    workers = [threading.Thread(target=loop, args=(share,)) for share in shares]
    for worker in workers:
        worker.start()
    start.wait()
    started, cpu = time.perf_counter(), time.process_time()
    for worker in workers:
        worker.join()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert not failures, f"the endpoint refused {len(failures)} requests: {failures[:3]}"
    return {"per_s": len(params) / elapsed, "cpu_ms_per_msg": 1000 * cpu / len(params)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    common_arguments(
        parser, "benchmarks/results/provider_http.json", "2,000 contacts (a smoke run)."
    )
    parser.add_argument(
        "--runs",
        help="contacts x workers, c and the connections per worker (default: 2000x1,2000x1c4, "
        "10,000 contacts without --quick)",
    )
    parser.add_argument("--raw", type=int, default=3000, help="Requests in each raw loop.")
    parser.add_argument(
        "--latency-ms",
        default="0",
        help="The endpoint holds each answer this long; several (0,20) run everything for each.",
    )
    args = parser.parse_args()
    contacts = 2000 if args.quick else 10_000
    runs = parse_runs(args.runs) if args.runs else [(contacts, 1, 1), (contacts, 1, 4)]
    kinds = [k for k in ("sqlite", "postgres") if not getattr(args, f"no_{k}")]
    folder = Path(f"/tmp/goteo-bench-{uuid.uuid4().hex[:6]}")
    folder.mkdir(parents=True)
    rows = []
    for latency in (float(v) for v in args.latency_ms.split(",")):
        port = free_port()
        api_url = f"http://127.0.0.1:{port}/"
        email_url = f"anymail+postmark://{TOKEN}@?api_url={api_url}"
        sink = start_process("benchmarks.postmark_sink", str(port), "--latency-ms", str(latency))
        try:
            params = request_params(api_url, args.raw)
            for kind in kinds:
                for contacts, workers, connections in runs:
                    raw = raw_limit(params, workers * connections)  # right before: load moves
                    row = measure(kind, contacts, workers, email_url, folder, connections)
                    load = os.getloadavg()[0]
                    rows.append(row | {"raw": raw, "latency_ms": latency, "load_1m": load})
                    print(
                        f"  done: {kind} {contacts} x {workers} c{connections}, {latency:g} ms",
                        file=sys.stderr,
                    )
        finally:
            sink.terminate()
    report(rows, Path(args.out))


def report(rows: list[dict[str, Any]], out: Path) -> None:
    print("Postmark-like endpoint on loopback; lat: ms it holds each answer")
    print(
        "raw: bare requests.Session loops, one per connection, measured right before the run; "
        "CPU: ms per message (worker process; raw loop)"
    )
    print(
        f"{'db':9} {'lat':>3} {'contacts':>8} {'workers':>7} {'conns':>5} {'msg/s':>8} {'raw':>7} "
        f"{'b/a':>5} {'CPU':>5} {'raw CPU':>7} {'peak MB':>7} {'load':>5}"
    )
    for r in rows:
        raw = r["raw"]
        print(
            f"{r['db']:9} {r['latency_ms']:>3g} {r['contacts']:>8} {r['workers']:>7} "
            f"{r['connections']:>5} "
            f"{r['messages_per_s']:>8,.0f} {raw['per_s']:>7,.0f} "
            f"{r['messages_per_s'] / raw['per_s']:>5.2f} {r['worker_cpu_ms_per_msg']:>5.2f} "
            f"{raw['cpu_ms_per_msg']:>7.2f} {r['peak_rss_mb']:>7.0f} {r['load_1m']:>5.1f}"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": rows}, indent=2))


if __name__ == "__main__":
    main()
