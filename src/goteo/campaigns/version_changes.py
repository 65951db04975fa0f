"""A campaign's versions with their differences, and where its journeys in flight stand
against a new document before it is saved. Read-only.

Saving a new version moves no journey: each keeps the version it started on, to its end
(``do_apply_campaign``; docs/campaign-format.md#versions). So what a new version changes for
the journeys in flight is only which of their steps it still has, and how.
"""

from __future__ import annotations

import difflib
from typing import Any

from django.db.models import Count

from goteo.campaigns.models import Campaign, Enrollment, EnrollmentStatus
from goteo.campaigns.versions import campaign_for_version
from goteo.engine.model import Campaign as Definition


def source_diff(before: str, after: str, old: str, new: str) -> list[tuple[str, str]]:
    """A unified diff of two documents, as (kind, line): kind is ``add``, ``del``, ``hunk``,
    ``file`` or ``same``."""
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), old, new, lineterm="", n=2
    )
    kinds = {"+++": "file", "---": "file", "@@": "hunk", "+": "add", "-": "del"}
    out = []
    for line in lines:
        kind = next((k for p, k in kinds.items() if line.startswith(p)), "same")
        out.append((kind, line))
    return out


def versions_with_changes(campaign: Campaign) -> list[dict[str, Any]]:
    """Every version, newest first, each with its difference from the one before it."""
    fields = ("number", "created_at", "checksum", "source")
    rows = [dict(v) for v in campaign.versions.order_by("number").values(*fields)]
    previous = ""
    for row in rows:
        n = row["number"]
        before = f"version {n - 1}"
        row["diff"] = source_diff(previous, row["source"], before, f"version {n}") if n > 1 else []
        previous = row["source"]
    return rows[::-1]


def in_flight_against(campaign: Campaign, new: Definition) -> list[dict[str, Any]]:
    """The journeys in flight by version and step, and what the new document has at that
    step: ``same``, ``changed`` or ``removed``. They stay where they are either way."""
    groups = (
        Enrollment.objects.filter(campaign=campaign, status=EnrollmentStatus.ACTIVE)
        .values("version_id", "version__number", "version__checksum", "state__position")
        .annotate(n=Count("id"))
        .order_by("version__number", "state__position")
    )
    rows = []
    for group in groups:
        position = group["state__position"]
        if position is None:
            continue
        old = campaign_for_version(group["version_id"], group["version__checksum"])
        if not new.has_step(position):
            fate = "removed"
        elif old.has_step(position) and old.step(position) == new.step(position):
            fate = "same"
        else:
            fate = "changed"
        rows.append(
            {"version": group["version__number"], "step": position, "journeys": group["n"],
             "fate": fate}
        )  # fmt: skip
    return rows
