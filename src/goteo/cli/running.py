"""``goteo serve``, ``goteo worker`` and ``goteo outbox``."""

from __future__ import annotations

import signal
import threading

import click

from goteo.cli.database import require_usable
from goteo.cli.output import emit, json_option, setup_django, table


@click.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="host:port to listen on.")
@click.option("--workers", default=2, show_default=True, help="Web worker processes.")
def serve(bind: str, workers: int) -> None:
    """Run the web server (health check, API, public pages) with gunicorn."""
    setup_django()
    require_usable()
    from goteo.web.server import run_server

    run_server(bind, workers)


@click.command()
@click.option(
    "--speed",
    default=1.0,
    show_default=True,
    help="Run the clock N times faster than real time (demos, staging).",
)
@click.option("--until-idle", is_flag=True, help="Exit once nothing is due now.")
@click.option("--batch", default=500, show_default=True, help="Enrollments claimed at a time.")
@click.option(
    "--lease",
    default=120.0,
    show_default=True,
    help="Seconds a claim is held; work claimed by a dead worker is retaken after this.",
)
@json_option
def worker(speed: float, until_idle: bool, batch: int, lease: float, as_json: bool) -> None:
    """Run the engine loop: advance due enrollments and send the outbox."""
    setup_django()
    from dataclasses import asdict

    from goteo.worker.setup import build_worker

    if speed <= 0:
        raise click.BadParameter("must be positive", param_hint="--speed")
    from goteo.campaigns import journey_clock
    from goteo.engine.clock import SystemClock
    from goteo.worker.fastclock import StoredFastClock

    clock = SystemClock() if speed == 1 else StoredFastClock(speed)
    w = build_worker(clock, batch=batch, lease_seconds=lease)
    require_usable()  # after the settings' checks: a bad setting is named first
    if speed == 1:
        journey_clock.withdraw()  # the web side goes back to the real time
    checkpoint = clock.checkpoint if isinstance(clock, StoredFastClock) else None
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if not as_json:
        click.echo(f"worker {w.name} running (speed x{speed:g}); Ctrl-C stops it", err=True)
    totals = w.run_until_idle() if until_idle else w.run(stop, on_pass=checkpoint)

    emit(
        asdict(totals),
        as_json,
        lambda: click.echo(
            f"steps {totals.steps_claimed}, sent {totals.sent}, retried {totals.retried}, "
            f"failed {totals.failed}, suppressed {totals.suppressed}",
            err=True,
        ),
    )


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
                    r["campaign__key"],
                    r["step_id"],
                    r["locale"],
                    (r["subject"] or "")[:50],
                ]
                for r in rows
            ],
            ["id", "status", "to", "campaign", "step", "locale", "subject"],
        ),
    )
