"""Visits made before a visitor identified themselves count for the lead score, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from goteo.actions.scoring import do_apply_scoring
from goteo.actions.visitors import TrackedEvent, do_collect, do_identify
from goteo.campaigns.models import Enrollment
from goteo.contacts.models import Contact, ScoreEntry

pytestmark = pytest.mark.django_db(transaction=True)
T0 = datetime(2025, 3, 5, 14, 0, tzinfo=UTC)
RULES = """
rules:
  - {event: page_view, where: {url: {contains: /pricing}}, points: 5}
"""
CAMPAIGN = """
key: browse
trigger: {event: page_view}
steps:
  - send: email
    template: hi
templates:
  hi: {en: {subject: "Hi", html: "<p>Hi</p>"}}
"""


def test_merged_history_is_scored_but_fires_no_trigger() -> None:
    from goteo.actions.campaigns import do_apply_campaign

    do_apply_scoring(RULES)
    do_apply_campaign(CAMPAIGN)
    visitor = "v-0123456789abcdef"
    pages = ["/pricing", "/blog", "/pricing?plan=team"]
    for i, url in enumerate(pages):
        event = TrackedEvent("page_view", {"url": url}, event_id=f"pv{i}")
        do_collect(visitor, [event], T0 + timedelta(minutes=i))
    assert ScoreEntry.objects.count() == 0  # anonymous: nobody to score yet

    contact_id = do_identify(visitor, "ana@example.com", T0 + timedelta(minutes=5))

    assert contact_id is not None
    contact = Contact.objects.get(id=contact_id)
    assert contact.score == 10
    assert ScoreEntry.objects.filter(contact=contact).count() == 2
    assert not Enrollment.objects.exists()  # last week's visits start no journey
    do_identify(visitor, "ana@example.com", T0 + timedelta(minutes=6))
    assert ScoreEntry.objects.filter(contact=contact).count() == 2  # merged once
