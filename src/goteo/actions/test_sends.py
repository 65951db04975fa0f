"""Test send: a campaign's email messages, rendered for a sample contact, to seed addresses.

One row per seed and step goes into the outbox (kind ``test``) and through the worker's send
path like any other message; the gate refuses a seed address on the suppression list. A test
belongs to no campaign or enrollment, so no report, funnel, exposure, cap or score counts it,
and nobody is enrolled. The sample is a stored contact picked by address, or a made-up one
with every optional field missing (the templates' defaults show); the made-up one's rows hang
on a placeholder contact that never receives anything itself. See docs/console.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from goteo.actions.audit import record
from goteo.actions.errors import ActionError
from goteo.campaigns.delivery_kinds import TEST
from goteo.campaigns.models import Campaign
from goteo.campaigns.outbox import NewDelivery, enqueue
from goteo.campaigns.test_messages import test_context
from goteo.campaigns.versions import campaign_for_version, check_document
from goteo.contacts.fields import LOCALE, normalize_email
from goteo.contacts.models import Contact, ContactStatus
from goteo.content.context import SAMPLE_CONTACT
from goteo.engine import locales
from goteo.engine.model import Campaign as Definition
from goteo.engine.problems import CampaignInvalid
from goteo.engine.steps import SendStep

SEEDS_MAX = 10
# The contact a made-up sample's rows belong to (the outbox is per contact): unsubscribed, so
# no campaign, segment or form ever sends it anything.
PLACEHOLDER = "test-sample@goteo.invalid"
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class TestSend:
    """What ``do_test_send`` would write: the rows are in the outbox once it returns."""

    campaign: Campaign
    seeds: tuple[str, ...]
    steps: tuple[SendStep, ...]
    locales: dict[str, str]  # step id -> the variant sent
    sample: Contact | None  # None: the made-up sample
    draft: bool  # the editor's unsaved text, not the active version


def parse_seeds(raw: str | list[str]) -> tuple[str, ...]:
    """The seed addresses, normalised and deduplicated; ActionError naming each bad one."""
    parts = raw if isinstance(raw, list) else _SEPARATORS.split(raw)
    given = [p.strip() for p in parts if p.strip()]
    if not given:
        raise ActionError("no seed address", {"seeds": "give one to ten email addresses"})
    bad, seeds = [], []
    for address in given:
        try:
            seeds.append(normalize_email(address))
        except ValueError as exc:
            bad.append(f"{address!r}: {exc}")
    if bad:
        raise ActionError("bad seed address", {"seeds": "; ".join(bad)})
    unique = tuple(dict.fromkeys(seeds))
    if len(unique) > SEEDS_MAX:
        fields = {"seeds": f"{len(unique)} addresses: at most {SEEDS_MAX} per test send"}
        raise ActionError("too many seed addresses", fields)
    return unique


def check_test_send(
    key: str,
    seeds: str | list[str],
    *,
    step: str = "",
    locale: str = "",
    sample: str = "",
    source: str | None = None,
) -> tuple[TestSend, Definition]:
    """Validate everything (every bad field named at once) and write nothing."""
    campaign = Campaign.objects.select_related("current_version").filter(key=key).first()
    if campaign is None or campaign.current_version is None:
        raise ActionError("no such campaign", {"campaign": f"{key!r} does not exist"})
    errors: dict[str, str] = {}
    definition = _definition(campaign, source, errors)
    parsed: tuple[str, ...] = ()
    try:
        parsed = parse_seeds(seeds)
    except ActionError as exc:
        errors.update(exc.fields)
    steps = _steps(definition, step, errors) if definition is not None else ()
    contact = _sample(sample, errors)
    wanted = locale.strip()
    if wanted and not LOCALE.match(wanted):
        errors["locale"] = f"{wanted!r} is not a locale such as en or pt-BR"
    if errors or definition is None:
        raise ActionError("test send refused", errors)
    contact_locale = wanted or (contact.locale if contact is not None else "")
    chosen = {
        s.id: locales.resolve(
            contact_locale, definition.locales(s.template), definition.default_locale
        )
        for s in steps
    }
    draft = source is not None
    return TestSend(campaign, parsed, steps, chosen, contact, draft), definition


def _definition(
    campaign: Campaign, source: str | None, errors: dict[str, str]
) -> Definition | None:
    version = campaign.current_version
    assert version is not None
    if source is None:
        return campaign_for_version(version.id, version.checksum)
    try:
        definition, _ = check_document(source)
    except CampaignInvalid as exc:
        first = exc.problems[0]
        where = f"line {first.line}: " if first.line else ""
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        errors["source"] = f"{where}{first.path}: {first.message}{more}"
        return None
    if definition.key != campaign.key:
        errors["source"] = f"key: {definition.key!r}: this is a test of {campaign.key!r}"
        return None
    return definition


def email_steps(definition: Definition) -> tuple[SendStep, ...]:
    return tuple(s for s in definition.steps if isinstance(s, SendStep) and s.channel == "email")


def _steps(definition: Definition, step: str, errors: dict[str, str]) -> tuple[SendStep, ...]:
    found = email_steps(definition)
    if not found:
        errors["step"] = "the campaign has no email step"
        return ()
    if not step:
        return found
    chosen = tuple(s for s in found if s.id == step)
    if not chosen:
        names = ", ".join(s.id for s in found)
        errors["step"] = f"{step!r} is not an email step of this campaign (they are: {names})"
    return chosen


def _sample(address: str, errors: dict[str, str]) -> Contact | None:
    if not address.strip():
        return None
    try:
        email = normalize_email(address)
    except ValueError as exc:
        errors["sample"] = f"{address.strip()!r}: {exc}"
        return None
    contact = Contact.objects.filter(email=email).first()
    if contact is None or contact.email == PLACEHOLDER:
        errors["sample"] = f"no contact {email!r}: leave it empty for a made-up sample"
        return None
    return contact


def do_test_send(
    key: str,
    seeds: str | list[str],
    now: datetime,
    *,
    step: str = "",
    locale: str = "",
    sample: str = "",
    source: str | None = None,
) -> TestSend:
    """Queue the test: one outbox row per seed and step; the seeds are kept for next time."""
    test, definition = check_test_send(
        key, seeds, step=step, locale=locale, sample=sample, source=source
    )
    made_up: dict[str, Any] | None = None if test.sample is not None else dict(SAMPLE_CONTACT)
    version = test.campaign.current_version
    assert version is not None
    with transaction.atomic():
        contact = test.sample or _placeholder()
        rows = [
            NewDelivery(
                contact_id=contact.id,
                step_id=s.id,
                channel="email",
                template=s.template,
                locale=test.locales[s.id],
                kind=TEST,
                context=test_context(definition, s.template, test.locales[s.id], seed, made_up),
            )
            for seed in test.seeds
            for s in test.steps
        ]
        enqueue(rows, now)
        campaign = Campaign.objects.select_for_update().get(id=test.campaign.id)
        before = {"seeds": campaign.test_seeds}
        campaign.test_seeds = list(test.seeds)
        campaign.save(update_fields=["test_seeds"])
        after = {
            "seeds": list(test.seeds),
            "steps": [s.id for s in test.steps],
            "sample": test.sample.email if test.sample is not None else "made-up",
            "locale": locale.strip(),
            "version": "draft" if test.draft else version.number,
            "messages": len(rows),
        }
        record("campaign.test_send", key, before, after)
    return test


def _placeholder() -> Contact:
    contact, _ = Contact.objects.get_or_create(
        email=PLACEHOLDER, defaults={"status": ContactStatus.UNSUBSCRIBED}
    )
    return contact
