"""``validate``'s SMS warnings: a template whose text, rendered for a sample contact, takes more
segments than its step allows (``max_segments``, default 3).

Each SMS step's template is rendered in every locale it has, for a sample contact with long
names, and measured (``sms_segments``); a text that cannot be rendered for the sample is left
to the send-time render, which names the problem.
"""

from __future__ import annotations

from goteo.content.render import RenderError
from goteo.content.sms_render import sms_for_contact
from goteo.content.sms_segments import sms_length
from goteo.engine import yamlsource
from goteo.engine.model import Campaign
from goteo.engine.problems import Problem
from goteo.engine.sms_steps import DEFAULT_MAX_SEGMENTS
from goteo.engine.steps import SendStep, TouchStep

SAMPLE = {
    "email": "alexandra.kowalska-smith@example.com",
    "first_name": "Alexandra",
    "last_name": "Kowalska-Smith",
    "timezone": "Europe/Madrid",
}


def _sms_templates(campaign: Campaign) -> list[tuple[int, str, int]]:
    """(step index, template, segments allowed) for every SMS a step sends: a ``send: sms``
    step's, and a touch step's SMS templates (which allow the default)."""
    found = []
    for i, step in enumerate(campaign.steps):
        if isinstance(step, SendStep) and step.channel == "sms":
            found.append((i, step.template, step.max_segments or DEFAULT_MAX_SEGMENTS))
        elif isinstance(step, TouchStep):
            for name in dict.fromkeys(step.templates.get("sms", ())):
                found.append((i, name, DEFAULT_MAX_SEGMENTS))
    return found


def sms_warnings(source: str, campaign: Campaign, base_url: str) -> list[Problem]:
    """One warning per SMS step (or touch step's SMS template) and locale that renders past its
    ``max_segments``, at the line of the template's text."""
    doc = yamlsource.load(source)
    warnings = []
    for i, template, limit in _sms_templates(campaign):
        for locale in campaign.templates.get(template, {}):
            try:
                text = sms_for_contact(
                    campaign, template, locale, SAMPLE | {"locale": locale},
                    base_url=base_url, message_id="1",
                )  # fmt: skip
            except RenderError:
                continue
            length = sms_length(text)
            if length.segments > limit:
                path = f"templates.{template}.{locale}.text"
                warnings.append(
                    Problem(
                        doc.line(path),
                        path,
                        f"renders to {length.segments} SMS segments for a sample contact "
                        f"({len(text)} characters, {length.encoding.upper()}); steps[{i}] "
                        f"allows {limit} (max_segments)",
                    )
                )
    return warnings
