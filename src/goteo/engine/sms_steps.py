"""What a ``send: sms`` step asks of its template, and its ``max_segments``.

An SMS template has only ``text`` in each locale: no subject, no HTML. ``max_segments``
(default 3, at most 10) is how many concatenated parts the rendered text may take before
``validate`` warns (``goteo.content.sms_checks``); the segments themselves are counted by
``goteo.content.sms_segments``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from goteo.engine.model import TemplateVariant

DEFAULT_MAX_SEGMENTS = 3
SEGMENT_LIMIT = 10  # what Twilio will send as one message

Found = list[tuple[str, str]]  # (path, message)


def is_sms_variant(variant: TemplateVariant) -> bool:
    return not variant.html and not variant.subject and variant.text is not None


def parse_max_segments(raw: Mapping[str, Any], path: str, channel: str) -> tuple[int | None, Found]:
    if "max_segments" not in raw:
        return None, []
    value = raw["max_segments"]
    where = f"{path}.max_segments"
    if channel != "sms":
        return None, [(where, "only an sms step has max_segments")]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= SEGMENT_LIMIT:
        return None, [(where, f"{value!r} must be a whole number from 1 to {SEGMENT_LIMIT}")]
    return value, []


def template_problems(
    channel: str, name: str, variants: Mapping[str, TemplateVariant], path: str
) -> Found:
    """An SMS step's template must be text only; an email step's must have subject and html."""
    found: Found = []
    for locale, variant in variants.items():
        where = f"templates.{name}.{locale}"
        if channel == "sms" and not is_sms_variant(variant):
            key = "html" if variant.html else "subject"
            found.append(
                (
                    f"{where}.{key}",
                    f"{path} sends {name!r} as an SMS: an SMS template has only text",
                )
            )
        elif channel == "email" and is_sms_variant(variant):
            found.append(
                (
                    where,
                    f"{path} sends {name!r} as an email, which needs subject and html "
                    "(this is an SMS template: text only)",
                )
            )
    return found
