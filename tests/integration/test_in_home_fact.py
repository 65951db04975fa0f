"""The worker's in-home fact: the newest mailer's expected in-home date, read from the outbox
only while the journey waits on it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from tests.in_home_campaign import DOC
from tests.integration.flow_helpers import T0, apply, people, simple_template

from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Campaign, Delivery
from goteo.engine.parser import parse_campaign
from goteo.engine.state import EnrollmentState
from goteo.worker.in_home import in_home_fact

pytestmark = pytest.mark.django_db


def mailer(step: str, created: datetime, in_home: date | None) -> Delivery:
    journey = Campaign.objects.get(key="drip").enrollments.get()
    return Delivery.objects.create(
        contact_id=journey.contact_id, enrollment=journey, campaign_id=journey.campaign_id,
        step_id=step, channel="mail", template="card", locale="en", kind="marketing",
        next_attempt_at=created, created_at=created, expected_in_home=in_home,
    )  # fmt: skip


def test_the_newest_mailers_date_and_only_while_waiting_on_it() -> None:
    apply("drip", [{"id": "first", "send": "email", "template": "one"}],
          {"one": simple_template("One")})  # fmt: skip
    do_enroll("drip", people("ana").values(), T0)
    journey_id = Campaign.objects.get(key="drip").enrollments.get().id
    campaign = parse_campaign(DOC)
    waiting = replace(EnrollmentState.start("card", T0), position="later")
    assert in_home_fact(journey_id, campaign, waiting) is None  # no mailer yet
    mailer("card", T0, date(2024, 2, 1))
    assert in_home_fact(journey_id, campaign, waiting) == datetime(2024, 2, 1, tzinfo=UTC)
    mailer("again", T0 + timedelta(days=1), date(2024, 2, 9))
    assert in_home_fact(journey_id, campaign, waiting) == datetime(2024, 2, 9, tzinfo=UTC)
    mailer("skipped", T0 + timedelta(days=2), None)  # the newest has no date: none
    assert in_home_fact(journey_id, campaign, waiting) is None
    elsewhere = replace(waiting, position="card")
    assert in_home_fact(journey_id, campaign, elsewhere) is None  # not on the wait: no query
