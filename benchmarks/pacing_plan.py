"""Exposure pacing's cost in the worker: writing a paced touch against writing a plain send.

    python -m benchmarks.pacing_plan [--contacts 2000] [--rounds 3] [--db sqlite|postgres]

(a) the raw limit: the worker's scheduling pass (claim, advance, write the outbox row) for
journeys of a campaign whose one step is ``send: email``;
(b) the same pass for journeys of a paced campaign (``pacing: {exposures: 29, within: 90d,
channels: [email]}``) whose touch step writes one email each: the same work, plus what pacing
reads (the contacts' channels, the journeys' touches in the outbox and their exposures in the
ledger: three queries a batch) and plans.
Each round enrolls ``--contacts`` new contacts in each campaign and times one pass of each,
alternately, so a busy machine slows both alike; the figure is b / a over all rounds.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.scenario import T0, setup

BATCH = 100
EMAIL = {"en": {"subject": "Hi {{ contact.first_name | default: 'you' }}", "html": "<p>Hi</p>"}}
PLAIN = {"key": "plain", "steps": [{"send": "email", "template": "hi"}], "templates": {"hi": EMAIL}}
PACED = {
    "key": "paced",
    "pacing": {"exposures": 29, "within": "90d", "channels": ["email"]},
    "steps": [{"id": "drip", "touch": {"email": "hi"}}],
    "templates": {"hi": EMAIL},
}


def one_pass(key: str, count: int, round_no: int) -> float:
    """Enroll ``count`` new contacts in ``key``; the seconds its scheduling pass takes."""
    from goteo.actions.enroll import do_enroll
    from goteo.campaigns.models import Delivery
    from goteo.contacts.models import Contact
    from goteo.worker.claims import claim_enrollments
    from goteo.worker.scheduler import run_enrollments

    made = Contact.objects.bulk_create(
        Contact(email=f"{key}-{round_no}-{i}@example.com", first_name=f"P{i}") for i in range(count)
    )
    do_enroll(key, [c.id for c in made], T0)
    owner, written = f"bench-{uuid.uuid4().hex[:6]}", 0
    started = time.perf_counter()
    while ids := claim_enrollments(owner, T0, BATCH, 60):
        written += run_enrollments(ids, owner, T0)
    seconds = time.perf_counter() - started
    assert written == count, (key, written)
    assert Delivery.objects.filter(campaign__key=key).count() == count * (round_no + 1)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL URL")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="goteo-bench-"))
    db = f"sqlite:///{folder / 'bench.sqlite3'}" if args.db == "sqlite" else args.db
    setup(db, "smtp://127.0.0.1:25")  # it sends nothing
    from goteo.actions.campaigns import do_apply_campaign

    for doc in (PLAIN, PACED):
        do_apply_campaign(json.dumps(doc))
    plain = paced = 0.0
    for round_no in range(args.rounds):
        plain += one_pass("plain", args.contacts, round_no)
        paced += one_pass("paced", args.contacts, round_no)
    journeys = args.contacts * args.rounds
    result = {
        "plain_per_s": round(journeys / plain, 1),
        "paced_per_s": round(journeys / paced, 1),
        "ratio": round(plain / paced, 3),
        "journeys": journeys,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "db": "sqlite" if args.db == "sqlite" else "postgres",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
