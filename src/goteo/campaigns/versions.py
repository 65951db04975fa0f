"""Parsed campaign versions, cached: a version never changes once stored."""

from __future__ import annotations

import hashlib

from goteo.engine.model import Campaign
from goteo.engine.parser import parse_campaign
from goteo.engine.problems import Problem

_cache: dict[tuple[int, str], Campaign] = {}


def checksum(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def parse_checked(source: str) -> Campaign:
    """Parse with the full template checks (what ``validate`` and ``apply`` use)."""
    from goteo.content.checks import check_template

    return parse_campaign(source, check_template=check_template)


def check_document(source: str) -> tuple[Campaign, list[Problem]]:
    """Parse with the full template checks: the campaign and its warnings (SMS templates that
    render past their step's ``max_segments``), or CampaignInvalid with every problem."""
    from django.conf import settings

    from goteo.content.sms_checks import sms_warnings

    campaign = parse_checked(source)
    return campaign, sms_warnings(source, campaign, settings.BASE_URL)


def campaign_for_version(version_id: int, source_checksum: str) -> Campaign:
    """The Campaign of a stored version; keyed by id and checksum, so the cache is always safe."""
    key = (version_id, source_checksum)
    found = _cache.get(key)
    if found is None:
        from goteo.campaigns.models import CampaignVersion

        source = CampaignVersion.objects.values_list("source", flat=True).get(id=version_id)
        found = _cache[key] = parse_campaign(source)
    return found
