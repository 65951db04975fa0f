"""What a test send's outbox row carries, and the campaign the worker renders it from.

A test is one message of a campaign (its template, in one locale) rendered for a sample
contact and sent to a seed address. The row holds the variant itself, as the marketer saw it
(the active version's, or the editor's unsaved text), so the worker renders exactly that;
it belongs to no campaign and no enrollment, so nothing counts it (docs/console.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from goteo.engine.model import Campaign, Reentry, TemplateVariant, Trigger

TEST = "test"  # the key of the row's context that holds what follows


def test_context(
    campaign: Campaign, template: str, locale: str, to: str, sample: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The row's context: the seed address, the one variant to render, and the made-up
    sample contact (None: the row's own contact is the sample)."""
    variant = campaign.templates[template][locale]
    fields = {k: v for k, v in asdict(variant).items() if v is not None}
    message = {
        "to": to,
        "campaign": campaign.key,
        "name": campaign.name,
        "strict": campaign.strict,
        "variant": fields,
    }
    if sample is not None:
        message["sample"] = dict(sample)
    return {TEST: message}


def test_campaign(context: Mapping[str, Any], template: str, locale: str) -> Campaign:
    """A one-template campaign holding the variant the row carries."""
    message = context[TEST]
    variant = TemplateVariant(**message["variant"])
    return Campaign(
        key=str(message["campaign"]),
        name=str(message["name"]),
        default_locale=locale,
        trigger=Trigger("manual"),
        reentry=Reentry("never"),
        steps=(),
        templates={template: {locale: variant}},
        strict=bool(message.get("strict", False)),
    )


def test_recipient(context: Mapping[str, Any]) -> str:
    return str(context[TEST]["to"])


def test_sample(context: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The made-up sample contact the row is rendered for, if it is not the row's contact."""
    sample = context[TEST].get("sample")
    return sample if isinstance(sample, Mapping) else None
