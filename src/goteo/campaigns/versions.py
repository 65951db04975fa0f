"""Parsed campaign versions, cached: a version never changes once stored."""

from __future__ import annotations

import hashlib

from goteo.engine.model import Campaign
from goteo.engine.parser import parse_campaign, parse_with_warnings
from goteo.engine.problems import CampaignInvalid, Problem

_cache: dict[tuple[int, str], Campaign] = {}


def checksum(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def parse_checked(source: str) -> Campaign:
    """Parse with the full template checks (what ``validate`` and ``apply`` use)."""
    return check_document(source)[0]


def check_document(source: str) -> tuple[Campaign, list[Problem]]:
    """Parse with the full template checks, refusing a send step whose channel (or a
    capability it needs) this configuration lacks, and a postage budget its mailers' prices
    cannot keep: the campaign and its warnings (among them
    SMS texts that render past their step's ``max_segments``), or CampaignInvalid with every
    problem (and the warnings)."""
    from django.conf import settings

    from goteo.channels.configured import channel_check, mail_prices
    from goteo.channels.direct_mail.price_checks import postage_problems
    from goteo.content.checks import check_template, printed_values
    from goteo.content.sms_checks import sms_warnings
    from goteo.engine.exposure_pacing_parser import cap_warning
    from goteo.engine.pacing import parse_cap

    campaign, warnings = parse_with_warnings(
        source, check_template, printed_values, channel_check()
    )
    warnings += sms_warnings(source, campaign, settings.BASE_URL)
    capped = cap_warning(source, campaign.pacing, parse_cap(settings.GOTEO_FREQUENCY_CAP))
    if capped is not None:
        warnings.append(capped)
    refused, doubtful = postage_problems(source, campaign, mail_prices())
    warnings += doubtful
    if refused:
        raise CampaignInvalid(refused, warnings)
    return campaign, sorted(warnings, key=lambda p: (p.line or 0, p.path))


def campaign_for_version(version_id: int, source_checksum: str) -> Campaign:
    """The Campaign of a stored version; keyed by id and checksum, so the cache is always safe."""
    key = (version_id, source_checksum)
    found = _cache.get(key)
    if found is None:
        from goteo.campaigns.models import CampaignVersion

        source = CampaignVersion.objects.values_list("source", flat=True).get(id=version_id)
        found = _cache[key] = parse_campaign(source)
    return found
