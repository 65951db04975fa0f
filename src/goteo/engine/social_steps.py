"""Checks for campaign steps that post on social media (``send: social``).

A post is public: its template has text alone (no subject or HTML) and may not use contact
fields, so a journey milestone can be announced but never anyone's personal data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from goteo.engine import yamlsource
from goteo.engine.steps import SendStep, Step

CONTACT_REF = re.compile(r"\{[{%][^}]*?\b(contact(?:\.[A-Za-z0-9_]+)*)")


def contact_reference(source: str) -> tuple[str, int] | None:
    """The first ``contact…`` a Liquid tag in ``source`` uses and its line offset, if any."""
    match = CONTACT_REF.search(source)
    if match is None:
        return None
    return match.group(1), source[: match.start()].count("\n")


def check_social_steps(
    parsed: list[tuple[int, Step]],
    templates: Mapping[str, Mapping[str, Any]],
    doc: yamlsource.Located,
    fail: Callable[[str, str], None],
) -> None:
    checked: set[str] = set()
    for i, step in parsed:
        if not isinstance(step, SendStep) or step.template not in templates:
            continue
        variants = templates[step.template]
        if step.channel != "social":
            # Email and SMS steps have their template rules in engine/sms_steps.py.
            if step.channel not in ("email", "sms") and any(not v.html for v in variants.values()):
                fail(
                    f"steps[{i}].template",
                    f"template {step.template!r} is a social post (text only): "
                    f"an {step.channel} step needs subject and html",
                )
            continue
        if step.template in checked:
            continue
        checked.add(step.template)
        for locale, variant in variants.items():
            path = f"templates.{step.template}.{locale}"
            if variant.html or not variant.text:
                fail(path, f"a social post's template has text only (used by steps[{i}])")
                continue
            found = contact_reference(variant.text)
            if found is not None:
                name, offset = found
                line = doc.line(f"{path}.text")
                message = (
                    f"a social post is public: it cannot use contact fields ({name}"
                    f"{f', line {line + offset + 1}' if line and offset else ''})"
                )
                fail(f"{path}.text", message)
