"""The test-send form's values: the campaign's email steps to pick from, and what was typed
(the last seed list, saved per campaign, when nothing was)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from goteo.actions.test_sends import SEEDS_MAX, email_steps
from goteo.campaigns.models import Campaign
from goteo.engine.model import Campaign as Definition

FIELDS = ("seeds", "step", "sample", "locale")


def posted(request: HttpRequest) -> dict[str, str]:
    return {name: str(request.POST.get(name, "")).strip() for name in FIELDS}


def test_form(
    row: Campaign,
    definition: Definition | None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    steps = email_steps(definition) if definition is not None else ()
    shown = {"seeds": ", ".join(row.test_seeds)} | (values or {})
    return {
        "steps": [{"id": s.id, "template": s.template} for s in steps],
        "values": {name: shown.get(name, "") for name in FIELDS},
        "errors": errors or {},
        "seeds_max": SEEDS_MAX,
    }
