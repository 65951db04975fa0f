"""Event triggers: a stored event enrolls its contact into every campaign triggered by it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from goteo.actions.enroll import enroll_into
from goteo.campaigns.models import Campaign, CampaignStatus
from goteo.campaigns.versions import campaign_for_version
from goteo.contacts.event_facts import EventFact
from goteo.engine.conditions import matches_where

EVENT_PROPERTIES_LIMIT = 50  # properties carried into the journey for templates


def enroll_on_events(facts: Sequence[EventFact], now: datetime) -> int:
    """Enroll each contact whose event matches an active campaign's event trigger.

    The first matching event of a contact in the batch starts the journey (the re-entry rule
    decides about later ones); its name and properties are what templates see as ``event``.
    """
    names = {f.name for f in facts}
    campaigns = Campaign.objects.filter(
        trigger_kind="event",
        trigger_value__in=names,
        status=CampaignStatus.ACTIVE,
        current_version__isnull=False,
    ).select_related("current_version")
    enrolled = 0
    for campaign in campaigns:
        version = campaign.current_version
        assert version is not None
        name = campaign.trigger_value
        trigger = campaign_for_version(version.id, version.checksum).trigger
        chosen: dict[int, dict[str, Any]] = {}
        for fact in facts:
            if fact.name != name or fact.contact_id is None or fact.contact_id in chosen:
                continue
            if trigger.where is None or matches_where(trigger.where, fact.properties):
                chosen[fact.contact_id] = _payload(fact)
        if chosen:
            enrolled += enroll_into(campaign, list(chosen), now, events=chosen).enrolled
    return enrolled


def _payload(fact: EventFact) -> dict[str, Any]:
    properties = dict(list(fact.properties.items())[:EVENT_PROPERTIES_LIMIT])
    return {
        "name": fact.name,
        "properties": properties,
        "occurred_at": fact.occurred_at.isoformat(),
        "id": fact.id,
    }
