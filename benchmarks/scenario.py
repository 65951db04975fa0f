"""One measured Goteo run, in its own process so its peak memory is its own.

``python -m benchmarks.scenario prepare|work --db URL --email-url URL [--contacts N] [--day D]``
prints one JSON line.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta

CAMPAIGN = """
key: bench
name: Benchmark series
trigger: {subscribed: bench}
steps:
  - send: email
    template: welcome
  - wait: 1d
  - send: email
    template: followup
templates:
  welcome:
    en:
      subject: "Welcome, {{ contact.first_name | default: 'friend' }}"
      html: |
        <html><head><style>p { color: #333; font-family: sans-serif }
        h1 { color: #064 }</style></head>
        <body><h1>Hello {{ contact.first_name | default: 'friend' }}</h1>
        <p>Thanks for joining {{ campaign.name }}. Drip marketing keeps a steady flow of useful
        messages going to each prospect over time.</p>
        <p><a href="https://shop.example.com/?c={{ contact.attributes.plan }}">Start</a></p>
        <p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>
    es:
      subject: "Bienvenida, {{ contact.first_name | default: 'amiga' }} — ¿empezamos?"
      html: |
        <html><head><style>p { color: #333 }</style></head>
        <body><h1>Hola {{ contact.first_name | default: 'amiga' }}</h1>
        <p>Gracias por unirte. El marketing por goteo mantiene un flujo constante de mensajes.</p>
        <p><a href="{{ unsubscribe_url }}">Darse de baja</a></p></body></html>
  followup:
    en: {subject: "Two days in", html: "<p>Next, {{ contact.first_name | default: 'you' }}.</p>"}
"""


def setup(db_url: str, email_url: str) -> None:
    os.environ.update(
        GOTEO_DATA_DIR=tempfile.mkdtemp(prefix="goteo-bench-"),
        GOTEO_DATABASE_URL=db_url,
        GOTEO_EMAIL_URL=email_url,
        GOTEO_FROM="Goteo Bench <bench@goteo.example.com>",
        GOTEO_SECRET_KEY="bench",
        GOTEO_POSTAL_ADDRESS="Goteo Bench, Calle Mayor 1, 28013 Madrid, Spain",
        DJANGO_SETTINGS_MODULE="goteo.settings",
    )  # GOTEO_DKIM_* come from the caller's environment (send_throughput --dkim)
    os.environ.setdefault("GOTEO_DKIM", "off")  # unsigned unless --dkim: comparable figures
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # already migrated: a no-op


def contacts_csv(count: int) -> io.StringIO:
    rows = ["email,first_name,last_name,locale,timezone,plan"]
    for i in range(count):
        locale = "es" if i % 3 == 0 else "en"
        rows.append(f"p{i}@example.com,Zoë{i},Núñez,{locale},Europe/Madrid,p{i % 7}")
    return io.StringIO("\n".join(rows) + "\n")


T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def prepare(count: int) -> dict[str, float]:
    """Apply the campaign, import ``count`` contacts, subscribe them (which enrolls them)."""
    from goteo.actions.campaigns import do_apply_campaign
    from goteo.actions.importing import do_import_csv
    from goteo.actions.subscriptions import do_subscribe
    from goteo.contacts.models import Contact

    do_apply_campaign(CAMPAIGN)
    started = time.perf_counter()
    report = do_import_csv(contacts_csv(count))
    import_s = time.perf_counter() - started
    assert report.imported == count, report.errors[:3]
    ids = list(Contact.objects.values_list("id", flat=True))
    started = time.perf_counter()
    enrolled = do_subscribe(ids, "bench", T0)["bench"].enrolled
    assert enrolled == count
    return {
        "import_per_s": count / import_s,
        "enroll_per_s": count / (time.perf_counter() - started),
    }


def work(at: datetime) -> dict[str, float]:
    """One worker (``GOTEO_EMAIL_CONNECTIONS`` connections) runs until nothing is due at ``at``."""
    from goteo.engine.clock import ManualClock
    from goteo.worker.setup import build_worker

    worker = build_worker(ManualClock(at))
    wall_start = time.time()
    started, cpu = time.perf_counter(), time.process_time()
    totals = worker.run_until_idle()

    return {
        "sent": totals.sent,
        "failed": totals.failed + totals.retried,
        "steps": totals.steps_claimed,
        "scheduling_s": totals.scheduling_seconds,
        "seconds": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,  # this process's CPU, every thread
        "wall_start": wall_start,
        "wall_end": time.time(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["prepare", "work"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--email-url", required=True, help="GOTEO_EMAIL_URL for the worker.")
    parser.add_argument("--contacts", type=int, default=0)
    parser.add_argument("--day", type=int, default=0, help="Virtual days after the start.")
    args = parser.parse_args()
    setup(args.db, args.email_url)
    if args.mode == "prepare":
        print(json.dumps(prepare(args.contacts)))
    else:
        print(json.dumps(work(T0 + timedelta(days=args.day, minutes=args.day))))


if __name__ == "__main__":
    main()
