"""The claims walk the due indexes in order: never a scan of every journey or message.

On PostgreSQL the plan depends on the table's size, so the tables get thousands of rows and
fresh statistics first (a handful of rows is cheaper to scan, and the planner knows it).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from goteo.actions.campaigns import do_apply_campaign
from goteo.bulk_sql import insert_rows
from goteo.campaigns.enrollment_store import insert_enrollments
from goteo.campaigns.models import Campaign, Delivery, Enrollment
from goteo.campaigns.outbox import NewDelivery, enqueue
from goteo.worker.claims import claim_deliveries, claim_enrollments

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ROWS = 20_000
CAMPAIGN = """
key: one
steps:
  - send: email
    template: hello
templates:
  hello:
    en: {subject: "Hello", html: "<p>Hello</p>"}
"""


def _fill() -> None:
    do_apply_campaign(CAMPAIGN)
    campaign = Campaign.objects.get(key="one")
    assert campaign.current_version_id is not None
    moment = Enrollment._meta.get_field("due_at").get_db_prep_value(NOW, connection)
    empty = connection.ops.adapt_json_value({}, DjangoJSONEncoder)
    columns = (
        "email", "first_name", "last_name", "locale", "timezone", "attributes", "status",
        "created_at", "updated_at", "soft_bounces", "owner", "score", "tags", "phone",
        "sms_consent", "postal_address",
    )  # fmt: skip
    tags = connection.ops.adapt_json_value([], DjangoJSONEncoder)
    fixed = ("", "", "en", "", empty, "active", moment, moment, 0, "", 0.0, tags, "", "", empty)
    rows = [(f"p{i}@example.com", *fixed) for i in range(ROWS)]
    insert_rows("goteo_contact", columns, rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM goteo_contact")
        contacts = [row[0] for row in cursor.fetchall()]
    state = {"version": 1}
    insert_enrollments(
        campaign.id, campaign.current_version_id, dict.fromkeys(contacts, state), NOW
    )
    journeys = Enrollment.objects.values_list("id", "contact_id")
    enqueue(
        [NewDelivery(c, "s1", "email", "hello", "en", enrollment_id=e, campaign_id=campaign.id)
         for e, c in journeys],
        NOW,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _plan(claim: object) -> str:
    """The plan of the claim's statement (the claim itself rolled back)."""
    assert callable(claim)
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        assert claim()
        transaction.set_rollback(True)
    (sql,) = [q["sql"] for q in captured.captured_queries if "lease_owner" in q["sql"]]
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql.replace("%", "%%"))
        return "\n".join(
            str(row[-1] if connection.vendor == "sqlite" else row[0]) for row in cursor
        )


@pytest.mark.django_db(transaction=True)
def test_the_claims_walk_the_due_indexes() -> None:
    _fill()
    assert Delivery.objects.count() == ROWS

    journeys = _plan(lambda: claim_enrollments("w", NOW, 500, 120))
    messages = _plan(lambda: claim_deliveries("w", NOW, 100, 120))

    if connection.vendor == "sqlite":
        assert "goteo_enrollment USING INDEX enrollment_due (status=? AND due_at<?)" in journeys
        assert "goteo_delivery USING INDEX delivery_due (status=? AND next_attempt_at<?)" in (
            messages
        )
        # The rows come from the index in order: nothing to sort.
        assert "TEMP B-TREE" not in journeys + messages, journeys + messages
    else:
        assert "Index Scan using enrollment_due on goteo_enrollment" in journeys, journeys
        assert "Index Scan using delivery_due on goteo_delivery" in messages, messages
        assert "Seq Scan on goteo_enrollment" not in journeys, journeys
        assert "Seq Scan on goteo_delivery" not in messages, messages
