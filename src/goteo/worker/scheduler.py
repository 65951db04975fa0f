"""Run the engine for claimed enrollments and write their deliveries in the same transaction."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from goteo.campaigns.models import Delivery, Enrollment
from goteo.campaigns.versions import campaign_for_version
from goteo.engine.advance import ContactView, advance
from goteo.engine.state import ACTIVE, EnrollmentState
from goteo.worker.claims import release_enrollment

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
    rows = Enrollment.objects.filter(id__in=ids, lease_owner=owner).values(*ROW_FIELDS)
    deliveries: list[Delivery] = []
    with transaction.atomic():
        for row in rows:
            campaign = campaign_for_version(row["version_id"], row["version__checksum"])
            contact = ContactView(
                status=row["contact__status"],
                locale=row["contact__locale"] or None,
                timezone=row["contact__timezone"] or None,
            )
            outcome = advance(campaign, EnrollmentState.from_json(row["state"]), contact, now)
            state = outcome.state
            fields: dict[str, object] = {
                "state": state.to_json(),
                "status": state.status,
                "due_at": state.due_at(now),
            }
            if state.status != ACTIVE:
                fields.update(ended_at=now, end_reason=state.end_reason or "")
            if not release_enrollment(row["id"], owner, **fields):
                continue  # the lease was lost to another worker: its run wins, ours is void
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
        # The unique (enrollment, step) constraint is the last guard: a step never runs twice.
        Delivery.objects.bulk_create(deliveries, batch_size=500, ignore_conflicts=True)
    return len(deliveries)
