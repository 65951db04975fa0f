"""Segment triggers: contacts who match a campaign's segment condition enter it.

The worker calls ``enroll_segments`` every so often. A contact enters when it matches and the
campaign's re-entry rule lets it in: with ``never`` (the default) once; with ``after: 30d`` at
most once per period while it still matches; with ``always`` again as soon as its previous
journey ended, if it still matches.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef

from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Campaign, CampaignStatus, Enrollment, EnrollmentStatus
from goteo.campaigns.versions import campaign_for_version
from goteo.contacts.models import Contact, ContactStatus
from goteo.contacts.segments import condition_q

BATCH = 5000  # contacts enrolled per campaign per tick; the rest follow on the next ticks


def enroll_segments(now: datetime) -> int:
    enrolled = 0
    campaigns = Campaign.objects.filter(
        trigger_kind="segment", status=CampaignStatus.ACTIVE, current_version__isnull=False
    ).values_list("id", "key", "current_version_id", "current_version__checksum")
    for campaign_id, key, version_id, digest in campaigns:
        definition = campaign_for_version(version_id, digest)
        condition = definition.trigger.condition
        if condition is None:
            continue
        journeys = Enrollment.objects.filter(campaign_id=campaign_id, contact_id=OuterRef("pk"))
        candidates = Contact.objects.filter(
            condition_q(condition, now), status=ContactStatus.ACTIVE
        )
        if definition.reentry.mode == "never":
            candidates = candidates.exclude(Exists(journeys))
        else:
            candidates = candidates.exclude(Exists(journeys.filter(status=EnrollmentStatus.ACTIVE)))
            if definition.reentry.after is not None:
                recent = journeys.filter(enrolled_at__gt=now - definition.reentry.after)
                candidates = candidates.exclude(Exists(recent))
        ids = list(candidates.order_by("id").values_list("id", flat=True)[:BATCH])
        if ids:
            enrolled += do_enroll(key, ids, now).enrolled
    return enrolled
