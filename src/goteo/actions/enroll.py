"""Putting contacts into a campaign, following its re-entry rule."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max, Q

from goteo.actions.errors import ActionError
from goteo.campaigns.enrollment_store import insert_enrollments
from goteo.campaigns.models import Campaign, Enrollment
from goteo.campaigns.versions import campaign_for_version
from goteo.contacts.models import ContactStatus
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
    from goteo.contacts.models import Contact

    version = campaign.current_version
    assert version is not None
    definition = campaign_for_version(version.id, version.checksum)
    rule = definition.reentry
    active_ids = set(
        Contact.objects.filter(id__in=ids, status=ContactStatus.ACTIVE).values_list("id", flat=True)
    )
    report.inactive += len(set(ids) - active_ids)
    history = (
        Enrollment.objects.filter(campaign=campaign, contact_id__in=active_ids)
        .values("contact_id")
        .annotate(last=Max("enrolled_at"), active=Max("id", filter=Q(status="active")))
    )
    blocked = set()
    for row in history:
        recent = rule.after is not None and row["last"] > now - rule.after
        if row["active"] is not None or rule.mode == "never" or (rule.mode == "after" and recent):
            blocked.add(row["contact_id"])
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
