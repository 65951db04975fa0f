"""Tracked visits to a campaign's product pages (``exposure_pages``), as exposures.

Called by ``react`` with the newly stored events of a batch: when an active campaign's current
version names pages, the page views of contacts with an active journey in such a campaign are
matched against the pages of that journey's version, in one query for the whole batch. Each
visit is one exposure (its key names the event), credited to the first such campaign (the
lowest id) when several name the page.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection

from goteo.bulk_sql import select_in
from goteo.campaigns.exposures import Touch, ledger_on, record_touches
from goteo.campaigns.models import (
    Campaign,
    CampaignStatus,
    CampaignVersion,
    Enrollment,
    EnrollmentStatus,
)
from goteo.campaigns.versions import campaign_for_version
from goteo.contacts.event_facts import EventFact
from goteo.engine.exposure_pages import PAGE_VIEW, is_exposure_page
from goteo.engine.exposure_words import VISIT, WEB


def visit_key(event_id: int) -> str:
    return f"v:{event_id}"


def record_page_visits(facts: list[EventFact]) -> int:
    """Record the visits among ``facts`` (known contacts' events) to pages an active journey's
    campaign names; returns how many were exposures."""
    views: dict[int, list[EventFact]] = defaultdict(list)
    for fact in facts:
        if fact.name == PAGE_VIEW and fact.contact_id is not None:
            views[fact.contact_id].append(fact)
    if not views or not ledger_on():
        return 0
    campaigns = _naming_pages()
    if not campaigns:
        return 0
    enrollment, version = Enrollment._meta.db_table, CampaignVersion._meta.db_table
    sql = (
        f"SELECT e.contact_id, e.campaign_id, e.version_id, v.checksum FROM {enrollment} e "
        f"JOIN {version} v ON v.id = e.version_id "
        "WHERE e.contact_id IN ({values}) AND e.status = %s"
    )
    found = select_in(sql, views, EnrollmentStatus.ACTIVE.value)
    journeys = sorted((r for r in found if r[1] in campaigns), key=lambda r: r[1])
    touches: dict[int, Touch] = {}  # by event: one exposure per visit
    for contact_id, campaign_id, version_id, checksum in journeys:
        pages = campaign_for_version(version_id, checksum).exposure_pages
        if not pages:
            continue
        for fact in views[contact_id]:
            if fact.id not in touches and is_exposure_page(pages, fact.properties):
                touches[fact.id] = Touch(
                    contact_id=contact_id,
                    channel=WEB,
                    kind=VISIT,
                    occurred_at=fact.occurred_at,
                    dedupe_key=visit_key(fact.id),
                    campaign_id=campaign_id,
                    version_id=version_id,
                )
    record_touches(list(touches.values()))
    return len(touches)


def _naming_pages() -> set[int]:
    """The active campaigns whose current version names exposure pages: a query of a few
    rows (plain SQL: it runs for every batch of events), so a batch pays for the journeys'
    lookup only when some campaign names pages."""
    sql = (
        f"SELECT k.id, v.id, v.checksum FROM {Campaign._meta.db_table} k "
        f"JOIN {CampaignVersion._meta.db_table} v ON v.id = k.current_version_id "
        "WHERE k.status = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [CampaignStatus.ACTIVE.value])
        rows = cursor.fetchall()
    return {cid for cid, vid, sha in rows if campaign_for_version(vid, sha).exposure_pages}
