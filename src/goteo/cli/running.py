"""``goteo serve``, ``goteo worker`` and ``goteo outbox``."""

from __future__ import annotations

import signal
import threading
from datetime import datetime
from typing import TYPE_CHECKING

import click

from goteo.cli.database import require_usable
from goteo.cli.output import emit, json_option, setup_django, table

if TYPE_CHECKING:
    from goteo.worker.loop import Totals, Worker
    from goteo.worker.outbox_state import Waiting


@click.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="host:port to listen on.")
@click.option("--workers", default=2, show_default=True, help="Web worker processes.")
def serve(bind: str, workers: int) -> None:
    """Run the web server (health check, API, public pages) with gunicorn."""
    setup_django()
    require_usable()
    from goteo.web.ops.server import run_server

    run_server(bind, workers)


@click.command()
@click.option(
    "--speed",
    default=1.0,
    show_default=True,
    help="Run the clock N times faster than real time (demos, staging).",
)
@click.option(
    "--until-idle", is_flag=True, help="Exit once nothing is due now, saying what is left."
)
@click.option(
    "--wait-retries",
    is_flag=True,
    help="With --until-idle: first wait for the messages waiting for a retry or postponed.",
)
@click.option(
    "--max-wait",
    default="15m",
    show_default=True,
    help="How long --wait-retries waits at most (real time, a duration: 90s, 15m, 2h).",
)
@click.option(
    "--progress",
    default=5.0,
    show_default=True,
    help="Seconds between progress lines while work flows; 0 turns them off.",
)
@click.option("--batch", default=500, show_default=True, help="Enrollments claimed at a time.")
@click.option(
    "--lease",
    default=120.0,
    show_default=True,
    help="Seconds a claim is held; work claimed by a dead worker is retaken after this.",
)
@json_option
def worker(
    speed: float,
    until_idle: bool,
    wait_retries: bool,
    max_wait: str,
    progress: float,
    batch: int,
    lease: float,
    as_json: bool,
) -> None:
    """Run the engine loop: advance due enrollments and send the outbox."""
    setup_django()
    from goteo.engine.durations import DurationError, parse_duration
    from goteo.worker.progress import Progress
    from goteo.worker.setup import build_worker

    if speed <= 0:
        raise click.BadParameter("must be positive", param_hint="--speed")
    if wait_retries and not until_idle:
        raise click.BadParameter("goes with --until-idle", param_hint="--wait-retries")
    try:
        longest = parse_duration(max_wait).total_seconds()
    except DurationError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-wait") from None
    from goteo.campaigns import journey_clock
    from goteo.engine.clock import SystemClock
    from goteo.worker.fastclock import StoredFastClock

    clock = SystemClock() if speed == 1 else StoredFastClock(speed)
    w = build_worker(clock, batch=batch, lease_seconds=lease)
    w.progress = Progress(every=progress)
    require_usable()  # after the settings' checks: a bad setting is named first
    if speed == 1:
        journey_clock.withdraw()  # the web side goes back to the real time
    checkpoint = clock.checkpoint if isinstance(clock, StoredFastClock) else None
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if not as_json:
        click.echo(f"worker {w.name} running (speed x{speed:g}); Ctrl-C stops it", err=True)
    if until_idle:
        _run_until_idle(w, wait_retries, longest, as_json)
        return
    _summary(w.run(stop, on_pass=checkpoint), None, as_json)


def _run_until_idle(w: Worker, wait_retries: bool, max_wait: float, as_json: bool) -> None:
    from goteo.worker.idle import run_until_settled, waiting

    if wait_retries:
        left = run_until_settled(w, max_wait)
    else:
        w.run_until_idle()
        left = waiting(w.clock.now())
    gave_up = wait_retries and left.messages > 0
    _summary(w.totals, (left, w.clock.now()), as_json, gave_up)


def _summary(
    totals: Totals, left: tuple[Waiting, datetime] | None, as_json: bool, gave_up: bool = False
) -> None:
    """The totals, and with --until-idle what is left (as of the worker's clock)."""
    from dataclasses import asdict

    from goteo.worker.idle import describe

    def human() -> None:
        click.echo(
            f"steps {totals.steps_claimed}, sent {totals.sent}, retried {totals.retried}, "
            f"failed {totals.failed}, suppressed {totals.suppressed}, "
            f"postponed {totals.postponed}",
            err=True,
        )
        if left is not None:
            prefix = "stopped waiting (--max-wait); " if gave_up else ""
            click.echo(prefix + describe(*left), err=True)

    data = asdict(totals) | ({"left": asdict(left[0])} if left is not None else {})
    emit(data, as_json, human)


@click.command()
@click.option("--limit", default=20, show_default=True)
@click.option(
    "--status", help="Only deliveries with this status (pending, sent, failed, suppressed)."
)
@json_option
def outbox(limit: int, status: str | None, as_json: bool) -> None:
    """The most recent deliveries."""
    setup_django()
    from goteo.campaigns.summaries import recent_deliveries

    rows = recent_deliveries(limit, status)
    emit(
        rows,
        as_json,
        lambda: table(
            [
                [
                    r["id"],
                    r["status"],
                    r["contact__email"],
                    r["source"],
                    r["step_id"],
                    r["locale"],
                    (r["subject"] or "")[:50],
                    # Why a message did not go (suppressed, skipped, failed), or is waiting.
                    (r["last_error"] or "")[:60] if r["status"] != "sent" else "",
                ]
                for r in rows
            ],
            ["id", "status", "to", "campaign", "step", "locale", "subject", "why"],
        ),
    )
