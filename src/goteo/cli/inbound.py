"""``goteo inbound``: receive bounce reports, complaints and mailto unsubscribes over SMTP."""

from __future__ import annotations

import signal
import threading

import click

from goteo.cli.database import require_usable
from goteo.cli.output import fail, setup_django


def _split_bind(bind: str) -> tuple[str, int]:
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise click.BadParameter("use host:port, like 127.0.0.1:2525", param_hint="--bind")
    return host.strip("[]"), int(port)


@click.command()
@click.option("--bind", default="127.0.0.1:2525", show_default=True, help="host:port to listen on.")
def inbound(bind: str) -> None:
    """Run the SMTP server for bounces+…/unsubscribe+… addresses (see docs/deliverability.md).

    Point the MX of GOTEO_RETURN_PATH_DOMAIN at it (directly on port 25, or through your
    mail server). Mail for any other address is refused with 550.
    """
    host, port = _split_bind(bind)
    setup_django()
    require_usable()
    from goteo.inbound.server import inbound_controller

    controller, handler = inbound_controller(host, port)
    try:
        controller.start()
    except Exception as exc:  # the port is taken, or the address is not ours
        fail(f"cannot listen on {bind}: {exc}")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"goteo inbound listening on {host}:{port}; Ctrl-C stops it", err=True)
    try:
        stop.wait()
    finally:
        controller.stop()
        handler.close()
