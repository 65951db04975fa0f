"""``goteo demo``: web, worker and a mail catcher on SQLite, with a fast clock; every channel's
test-double provider writes into the demo's folder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click


def _free_or_refuse(port: int, option: str) -> None:
    """Refuse to start, in one line, when a port the demo needs is taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise click.ClickException(_taken(port, option, exc)) from None


def _taken(port: int, option: str, exc: OSError) -> str:
    return (
        f"port {port} on 127.0.0.1 is not free ({exc.strerror or exc}): stop what uses it, "
        f"or choose another with {option}"
    )


def _prepare(data_dir: Path, port: int, smtp_port: int) -> None:
    """Point every setting at the demo folder before Django starts."""
    os.environ["GOTEO_DATA_DIR"] = str(data_dir)
    os.environ["GOTEO_DATABASE_URL"] = f"sqlite:///{data_dir / 'goteo.sqlite3'}"
    os.environ["GOTEO_EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    os.environ["GOTEO_MAILBOX"] = str(data_dir / "mailbox")
    os.environ["GOTEO_OUTBOX_PAGE"] = "1"
    # Every channel's test-double provider, so the demo needs nothing installed.
    os.environ["GOTEO_MAIL_URL"] = f"folder:{data_dir / 'print-house'}"
    os.environ["GOTEO_SMS_URL"] = f"folder:{data_dir / 'sms'}"
    os.environ["GOTEO_BASE_URL"] = f"http://127.0.0.1:{port}"
    os.environ.setdefault("GOTEO_FROM", "Goteo demo <demo@goteo.example.com>")
    os.environ.setdefault("GOTEO_SECRET_KEY", "goteo-demo-secret")
    os.environ.setdefault("GOTEO_POSTAL_ADDRESS", "Goteo Demo, Calle Mayor 1, 28013 Madrid, Spain")


DEMO_ADMIN = "admin@goteo.example.com"


def _demo_admin() -> str:
    """The demo's admin user, with a fresh password each run (printed, never stored)."""
    import secrets

    from django.contrib.auth.models import User

    from goteo.actions.users import do_create_user, do_set_password

    password = secrets.token_urlsafe(12)
    existing = User.objects.filter(username=DEMO_ADMIN).first()
    if existing is None:
        do_create_user(DEMO_ADMIN, password, "admin")
    else:
        do_set_password(existing, password)
    return password


@click.command()
@click.option(
    "--speed",
    default=8640.0,
    show_default=True,
    help="Clock speed: 8640 makes one simulated day pass every ten seconds.",
)
@click.option("--port", default=8000, show_default=True, help="Web port.")
@click.option("--smtp-port", default=1025, show_default=True, help="Mail catcher port.")
@click.option(
    "--data-dir", default=".goteo-demo", show_default=True, type=click.Path(file_okay=False)
)
@click.option("--for", "duration", type=float, help="Stop after this many seconds.")
def demo(speed: float, port: int, smtp_port: int, data_dir: str, duration: float | None) -> None:
    """Run everything locally: web, worker, mail catcher, demo campaign and contacts."""
    for number, option in ((port, "--port"), (smtp_port, "--smtp-port")):
        _free_or_refuse(number, option)
    folder = Path(data_dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    _prepare(folder, port, smtp_port)
    from goteo.cli.output import setup_django
    from goteo.mailcatcher import MailCatcher

    setup_django()
    from goteo.cli.demo_data import load_demo_data
    from goteo.cli.demo_shoppers import Shoppers

    loaded = load_demo_data(folder)
    shoppers = Shoppers(loaded.emails)  # some contacts buy the course as the days go by
    password = _demo_admin()
    catcher = MailCatcher(folder / "mailbox", port=smtp_port)
    try:
        catcher.start()
    except OSError as exc:  # taken since the look above
        raise click.ClickException(_taken(smtp_port, "--smtp-port", exc)) from None
    python = [sys.executable, "-m", "goteo"]
    children = [
        subprocess.Popen([*python, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"]),
        subprocess.Popen([*python, "worker", "--speed", str(speed)]),
    ]
    click.echo(f"""
Goteo demo is running ({loaded.summary}).
  Web app:                    http://127.0.0.1:{port}/app/
    sign in as {DEMO_ADMIN}, password {password}
  Outbox (refreshes itself):  http://127.0.0.1:{port}/outbox
    emails, postcards, texts and posts; one channel: /outbox?channel=mail
  Law-of-29 report:           http://127.0.0.1:{port}/outbox/exposures
  Sign-up form:               http://127.0.0.1:{port}/f/newsletter
  Health:                     http://127.0.0.1:{port}/healthz
  Caught mail (Maildir):      {folder / "mailbox"}
  Postcards (print house):    {folder / "print-house"}
  Text messages:              {folder / "sms"}
  Social posts:               {folder / "social"}
  Clock:                      x{speed:g} (one simulated day every {86400 / speed:.0f} s)
Try, in another terminal (same folder):
  GOTEO_DATA_DIR={folder} goteo campaign list
  GOTEO_DATA_DIR={folder} goteo outbox
  GOTEO_DATA_DIR={folder} goteo report drip-101 --exposures
Ctrl-C stops everything.""")
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    deadline = time.monotonic() + duration if duration else None
    try:
        while not stop["now"] and (deadline is None or time.monotonic() < deadline):
            if any(c.poll() is not None for c in children):
                click.secho(
                    "a demo process stopped unexpectedly; shutting down", fg="red", err=True
                )
                break
            shoppers.step()
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        catcher.stop()
    click.echo("demo stopped")
