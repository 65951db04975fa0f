"""Claims under contention on PostgreSQL: a worker never skips work it has claimed itself."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.contacts import do_upsert_contact
from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Delivery, Enrollment
from goteo.worker.claims import claim_enrollments
from goteo.worker.scheduler import run_enrollments

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CAMPAIGN = """
key: one
steps:
  - send: email
    template: hello
templates:
  hello:
    en: {subject: "Hello", html: "<p>Hello</p>"}
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claimed_row_locked_for_a_moment_by_another_worker_is_still_run() -> None:
    do_apply_campaign(CAMPAIGN)
    ids = [do_upsert_contact({"email": f"p{i}@example.com"}).contact.id for i in range(5)]
    do_enroll("one", ids, NOW)
    claimed = claim_enrollments("worker-a", NOW, limit=10, lease_seconds=120)
    assert len(claimed) == 5

    locked = threading.Event()

    def other_worker_scanning() -> None:
        # Another worker's claim scan holds a row lock on one of our rows for a moment.
        with transaction.atomic():
            list(Enrollment.objects.select_for_update().filter(id=claimed[0]).values("id"))
            locked.set()
            time.sleep(0.5)
        connection.close()

    other = threading.Thread(target=other_worker_scanning)
    other.start()
    assert locked.wait(5)
    written = run_enrollments(claimed, "worker-a", NOW)
    other.join()

    assert written == 5
    assert Delivery.objects.count() == 5
    assert not Enrollment.objects.filter(lease_owner="worker-a").exists()
