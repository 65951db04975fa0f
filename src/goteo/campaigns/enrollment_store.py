"""The hot insert of new journeys: event triggers enroll hundreds of contacts per batch of
events, inside the request that stored them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import connection

from goteo.bulk_sql import insert_rows
from goteo.campaigns.models import Enrollment, EnrollmentStatus

_COLUMNS = (
    "contact_id",
    "campaign_id",
    "version_id",
    "status",
    "state",
    "due_at",
    "lease_owner",
    "lease_until",
    "enrolled_at",
    "end_reason",
    "variant",
)


def insert_enrollments(
    campaign_id: int, version_id: int, states: Mapping[int, Mapping[str, Any]], now: datetime
) -> None:
    """Start one active journey per contact (``states``: contact id -> state JSON), due now.

    A contact already in an active journey of the campaign (two writers racing) is skipped:
    the unique active-journey index keeps the first, and nothing fails.
    """
    moment = Enrollment._meta.get_field("due_at").get_db_prep_value(now, connection)
    active = EnrollmentStatus.ACTIVE.value
    fixed = (campaign_id, version_id, active)
    rows = [
        (cid, *fixed, json.dumps(states[cid]), moment, "", 0.0, moment, "", "")
        for cid in sorted(states)
    ]
    insert_rows(Enrollment._meta.db_table, _COLUMNS, rows, "ON CONFLICT DO NOTHING")
