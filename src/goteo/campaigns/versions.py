"""Parsed campaign versions, cached: a version never changes once stored."""

from __future__ import annotations

import hashlib

from goteo.engine.model import Campaign
from goteo.engine.parser import parse_campaign, parse_with_warnings
from goteo.engine.problems import Problem

_cache: dict[tuple[int, str], Campaign] = {}


def checksum(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def parse_checked(source: str) -> Campaign:
    """Parse with the full template checks (what ``validate`` and ``apply`` use)."""
    return check_document(source)[0]


def check_document(source: str) -> tuple[Campaign, list[Problem]]:
    """Parse with the full template checks, refusing a send step whose channel (or a
    capability it needs) this configuration lacks: the campaign and its warnings, or
    CampaignInvalid with every problem (and the warnings)."""
    from goteo.channels.configured import channel_check
    from goteo.content.checks import check_template, printed_values

    return parse_with_warnings(source, check_template, printed_values, channel_check())


def campaign_for_version(version_id: int, source_checksum: str) -> Campaign:
    """The Campaign of a stored version; keyed by id and checksum, so the cache is always safe."""
    key = (version_id, source_checksum)
    found = _cache.get(key)
    if found is None:
        from goteo.campaigns.models import CampaignVersion

        source = CampaignVersion.objects.values_list("source", flat=True).get(id=version_id)
        found = _cache[key] = parse_campaign(source)
    return found
