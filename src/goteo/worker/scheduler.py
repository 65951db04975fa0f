"""Run the engine for claimed enrollments and write their deliveries in the same transaction."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from goteo.campaigns.models import Delivery, Enrollment
from goteo.campaigns.versions import campaign_for_version
from goteo.engine.advance import ContactView, advance
from goteo.engine.state import ACTIVE, EnrollmentState
from goteo.worker.claims import release_enrollments, still_held

ROW_FIELDS = (
    "id",
    "contact_id",
    "campaign_id",
    "version_id",
    "version__checksum",
    "state",
    "contact__status",
    "contact__locale",
    "contact__timezone",
)


def run_enrollments(ids: list[int], owner: str, now: datetime) -> int:
    """Advance each claimed enrollment; returns how many deliveries were written."""
    deliveries: list[Delivery] = []
    results: list[tuple[int, dict[str, object]]] = []
    with transaction.atomic():
        # Rows whose lease ran out and went to another worker are left alone: its run wins.
        held = still_held(ids, owner)
        for row in Enrollment.objects.filter(id__in=held).values(*ROW_FIELDS):
            campaign = campaign_for_version(row["version_id"], row["version__checksum"])
            contact = ContactView(
                status=row["contact__status"],
                locale=row["contact__locale"] or None,
                timezone=row["contact__timezone"] or None,
            )
            outcome = advance(campaign, EnrollmentState.from_json(row["state"]), contact, now)
            state = outcome.state
            ended = state.status != ACTIVE
            results.append(
                (
                    row["id"],
                    {
                        "state": state.to_json(),
                        "status": state.status,
                        "due_at": state.due_at(now),
                        "ended_at": now if ended else None,
                        "end_reason": (state.end_reason or "") if ended else "",
                    },
                )
            )
            deliveries.extend(
                Delivery(
                    contact_id=row["contact_id"],
                    enrollment_id=row["id"],
                    campaign_id=row["campaign_id"],
                    step_id=command.step_id,
                    channel=command.channel,
                    template=command.template,
                    locale=command.locale,
                    next_attempt_at=now,
                    created_at=now,
                )
                for command in outcome.commands
            )
        release_enrollments(owner, results)
        # The unique (enrollment, step) constraint is the last guard: a step never runs twice.
        Delivery.objects.bulk_create(deliveries, batch_size=500, ignore_conflicts=True)
    return len(deliveries)
