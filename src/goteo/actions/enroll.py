"""Putting contacts into a campaign, following its re-entry rule."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from goteo.actions.errors import ActionError
from goteo.bulk_sql import select_in
from goteo.campaigns.enrollment_store import insert_enrollments
from goteo.campaigns.models import Campaign, Enrollment
from goteo.campaigns.versions import campaign_for_version
from goteo.contacts.models import Contact, ContactStatus
from goteo.engine.state import EnrollmentState

CHUNK = 1000


@dataclass
class EnrollReport:
    enrolled: int = 0
    already_enrolled: int = 0  # refused by the re-entry rule
    inactive: int = 0  # unsubscribed or bounced contacts are never enrolled


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    chunk: list[int] = []
    for i in ids:
        chunk.append(i)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def do_enroll(
    campaign_key: str,
    contact_ids: Iterable[int],
    now: datetime,
    events: Mapping[int, Mapping[str, Any]] | None = None,
) -> EnrollReport:
    """Enroll the contacts the re-entry rule allows. ``events`` gives, per contact, the
    event that triggered the journey ({name, properties}); templates see it as ``event``."""
    campaign = Campaign.objects.filter(key=campaign_key).select_related("current_version").first()
    if campaign is None or campaign.current_version is None:
        raise ActionError("no such campaign", {"campaign": f"{campaign_key!r} does not exist"})
    return enroll_into(campaign, contact_ids, now, events)


def enroll_into(
    campaign: Campaign,
    contact_ids: Iterable[int],
    now: datetime,
    events: Mapping[int, Mapping[str, Any]] | None = None,
) -> EnrollReport:
    """``do_enroll`` for a campaign already loaded with its current version."""
    report = EnrollReport()
    for chunk in _chunks(contact_ids):
        with transaction.atomic():
            _enroll_chunk(campaign, chunk, now, report, events or {})
    return report


def _enroll_chunk(
    campaign: Campaign,
    ids: list[int],
    now: datetime,
    report: EnrollReport,
    events: Mapping[int, Mapping[str, Any]],
) -> None:
    version = campaign.current_version
    assert version is not None
    definition = campaign_for_version(version.id, version.checksum)
    rule = definition.reentry
    contacts = Contact._meta.db_table
    active_ids = {
        int(c)
        for (c,) in select_in(
            f"SELECT id FROM {contacts} WHERE id IN ({{values}}) AND status = %s",
            ids,
            ContactStatus.ACTIVE.value,
        )
    }
    report.inactive += len(set(ids) - active_ids)
    journeys = Enrollment._meta.db_table
    history = select_in(
        "SELECT contact_id, MAX(enrolled_at), MAX(CASE WHEN status = 'active' THEN 1 ELSE 0 END)"
        f" FROM {journeys} WHERE contact_id IN ({{values}}) AND campaign_id = %s"
        " GROUP BY contact_id",
        active_ids,
        campaign.id,
    )
    blocked = set()
    for contact_id, last, active in history:
        recent = rule.after is not None and _aware(last) > now - rule.after
        if active or rule.mode == "never" or (rule.mode == "after" and recent):
            blocked.add(int(contact_id))
    report.already_enrolled += len(blocked)
    first = definition.first_step_id
    states = {
        contact_id: EnrollmentState.start(
            first, started_at=now, seed=secrets.randbits(31), event=events.get(contact_id)
        ).to_json()
        for contact_id in active_ids - blocked
    }
    insert_enrollments(campaign.id, version.id, states, now)
    report.enrolled += len(active_ids - blocked)


def _aware(value: Any) -> datetime:
    """A timestamp read with plain SQL: SQLite gives naive UTC text, PostgreSQL a datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = parse_datetime(str(value))
    assert parsed is not None, value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
