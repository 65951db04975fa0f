"""Campaign writes: apply a document (new immutable version), pause, resume."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from goteo.actions.errors import ActionError
from goteo.campaigns.models import Campaign, CampaignStatus, CampaignVersion
from goteo.campaigns.versions import check_document, checksum
from goteo.engine.model import Campaign as CampaignModel
from goteo.engine.problems import Problem


@dataclass(frozen=True)
class Applied:
    campaign: Campaign
    version: CampaignVersion
    outcome: str  # "created", "new version" or "unchanged"
    definition: CampaignModel
    warnings: list[Problem] = field(default_factory=list)  # what may be wrong: it was applied


def do_apply_campaign(source: str) -> Applied:
    """Validate (raising CampaignInvalid with every problem) and store a version; the result
    carries the document's warnings.

    Applying the same document again changes nothing; a changed one becomes the next version.
    Enrollments in flight keep the version they started on.
    """
    definition, warnings = check_document(source)
    digest = checksum(source)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(key=definition.key).first()
        created = campaign is None
        if campaign is None:
            campaign = Campaign(key=definition.key)
        current = campaign.current_version if not created else None
        if current is not None and current.checksum == digest:
            return Applied(campaign, current, "unchanged", definition, warnings)
        campaign.name = definition.name
        campaign.trigger_kind = definition.trigger.kind
        campaign.trigger_value = definition.trigger.value or ""
        campaign.priority = definition.priority
        campaign.save()
        number = (current.number + 1) if current is not None else 1
        version = CampaignVersion.objects.create(
            campaign=campaign, number=number, source=source, checksum=digest
        )
        campaign.current_version = version
        campaign.save(update_fields=["current_version"])
    outcome = "created" if created else "new version"
    return Applied(campaign, version, outcome, definition, warnings)


def do_set_campaign_status(key: str, status: str, reason: str = "") -> Campaign:
    """Pause (nothing is sent or advanced) or resume a campaign."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(key=key).first()
        if campaign is None:
            raise ActionError("no such campaign", {"campaign": f"{key!r} does not exist"})
        campaign.status = CampaignStatus(status)
        campaign.status_reason = reason
        campaign.save(update_fields=["status", "status_reason"])
    return campaign
