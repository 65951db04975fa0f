"""A campaign's messages as the web app lists them: each send step's template per locale,
the locales it lacks (and which one a contact in such a locale gets instead), and the checks
``goteo validate`` reports about it."""

from __future__ import annotations

from dataclasses import dataclass, field

from goteo.campaigns.versions import check_document
from goteo.engine import locales
from goteo.engine.model import Campaign, SendStep, TemplateVariant
from goteo.engine.problems import CampaignInvalid, Problem

# The parts each channel's template is made of, in the order they are shown.
PARTS = {
    "email": ("subject", "preheader", "html", "text"),
    "mail": ("format", "html", "front", "landing"),
    "sms": ("text",),
    "social": ("text",),
}


@dataclass(frozen=True)
class Variant:
    locale: str
    parts: list[tuple[str, str | None]]  # (part, source); None: the template leaves it out
    checks: list[Problem]


@dataclass(frozen=True)
class Missing:
    locale: str  # a locale the campaign offers that this template lacks
    instead: str | None  # the variant such a contact gets (None: none, the message fails)


@dataclass(frozen=True)
class Message:
    template: str
    channel: str
    steps: list[str]
    variants: list[Variant]
    missing: list[Missing]


@dataclass(frozen=True)
class Messages:
    offered: list[str]  # every locale some template has, the default first
    messages: list[Message]
    problems: list[Problem]  # refusals (a stored version the configuration no longer takes)
    checks: list[Problem] = field(default_factory=list)  # warnings about no one template


def offered_locales(campaign: Campaign) -> list[str]:
    found = {loc for variants in campaign.templates.values() for loc in variants}
    return [campaign.default_locale, *sorted(found - {campaign.default_locale})]


def send_templates(campaign: Campaign) -> list[tuple[str, str, list[str]]]:
    """(template, channel, the steps sending it), in the order the steps first send them."""
    found: dict[tuple[str, str], list[str]] = {}
    for step in campaign.steps:
        if isinstance(step, SendStep):
            found.setdefault((step.template, step.channel), []).append(step.id)
    return [(template, channel, steps) for (template, channel), steps in found.items()]


def _parts(channel: str, variant: TemplateVariant) -> list[tuple[str, str | None]]:
    return [(part, getattr(variant, part) or None) for part in PARTS.get(channel, ("text",))]


def campaign_messages(source: str) -> Messages:
    """The messages of one stored campaign version (its document's text)."""
    from goteo.engine.parser import parse_campaign

    problems: list[Problem] = []
    try:
        campaign, warnings = check_document(source)
    except CampaignInvalid as exc:
        campaign, warnings, problems = parse_campaign(source), exc.warnings, exc.problems
    offered = offered_locales(campaign)
    claimed: set[int] = set()
    messages = []
    for template, channel, steps in send_templates(campaign):
        by_locale = campaign.templates.get(template, {})
        variants = []
        for locale, variant in by_locale.items():
            prefix = f"templates.{template}.{locale}"
            mine = [p for p in warnings if p.path == prefix or p.path.startswith(prefix + ".")]
            claimed.update(id(p) for p in mine)
            variants.append(Variant(locale, _parts(channel, variant), mine))
        missing = [
            Missing(loc, _instead(loc, list(by_locale), campaign.default_locale))
            for loc in offered
            if loc not in by_locale
        ]
        messages.append(Message(template, channel, steps, variants, missing))
    others = [p for p in warnings if id(p) not in claimed]
    return Messages(offered, messages, problems, others)


def _instead(locale: str, available: list[str], default: str) -> str | None:
    chosen = locales.resolve(locale, available, default)
    return chosen if chosen in available else None
