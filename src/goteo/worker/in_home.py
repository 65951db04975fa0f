"""The in-home date the engine's ``wait: {after: in_home}`` reads: that of the journey's most
recent mailer, as the outbox records it (the provider's later updates included)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from goteo.campaigns.models import Delivery
from goteo.engine.model import Campaign
from goteo.engine.state import EnrollmentState
from goteo.engine.steps import WaitStep


def in_home_fact(enrollment_id: int, campaign: Campaign, state: EnrollmentState) -> datetime | None:
    """Midnight UTC of the in-home date, when the journey waits on it and a mailer has one."""
    if state.position is None:
        return None
    step = campaign.step(state.position)
    if not (isinstance(step, WaitStep) and step.after_in_home):
        return None
    found = (
        Delivery.objects.filter(enrollment_id=enrollment_id, channel="mail")
        .order_by("-created_at", "-id")
        .values_list("expected_in_home", flat=True)
        .first()
    )
    return None if found is None else datetime.combine(found, time(), tzinfo=UTC)
