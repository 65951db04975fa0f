"""The "law of 29" report: conversion rate by the number of exposures before converting.

For a scope (one campaign's exposures, or every exposure), each contact with at least one
exposure in it is counted once, in one bucket (docs/measurement.md):

- a contact converted when they have a conversion after their first exposure in the scope;
  the first such conversion counts, and their number is the exposures in the scope strictly
  before it;
- anyone else has not converted (yet), and their number is every exposure in the scope so far.

A bucket's rate is its converted contacts over all its contacts. The same buckets are given
per channel mix: the set of channels of the exposures counted for each contact.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from goteo.campaigns.models import Campaign, Conversion, Exposure
from goteo.engine.exposure_words import BUCKETS, bucket_of


@dataclass
class _Tally:
    contacts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    converted: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))

    def add(self, exposures: int, converted: bool) -> None:
        i = bucket_of(exposures)
        self.contacts[i] += 1
        self.converted[i] += converted

    def table(self) -> dict[str, Any]:
        people, bought = sum(self.contacts), sum(self.converted)
        return {
            "contacts": people,
            "converted": bought,
            "conversion_rate": _rate(bought, people),
            "buckets": [
                {
                    "bucket": label,
                    "min": fewest,
                    "max": most,
                    "contacts": n,
                    "converted": k,
                    "conversion_rate": _rate(k, n),
                }
                for (label, fewest, most), n, k in zip(
                    BUCKETS, self.contacts, self.converted, strict=True
                )
            ],
        }


def _rate(converted: int, contacts: int) -> float:
    return round(converted / contacts, 4) if contacts else 0.0


@dataclass
class _Curve:
    all: _Tally = field(default_factory=_Tally)
    mixes: dict[str, _Tally] = field(default_factory=lambda: defaultdict(_Tally))

    def add(self, seen: list[tuple[datetime, str]], conversions: list[datetime]) -> None:
        """One contact: their exposures in the scope (in time order) and conversions."""
        first = seen[0][0]
        after = bisect_right(conversions, first)
        converted = after < len(conversions)
        counted = seen
        if converted:
            counted = seen[: bisect_left([at for at, _ in seen], conversions[after])]
        mix = "+".join(sorted({channel for _, channel in counted}))
        self.all.add(len(counted), converted)
        self.mixes[mix].add(len(counted), converted)

    def report(self) -> dict[str, Any]:
        return self.all.table() | {
            "mixes": [
                {"channels": mix.split("+")} | tally.table()
                for mix, tally in sorted(self.mixes.items(), key=lambda m: -sum(m[1].contacts))
            ]
        }


def exposure_curve(campaign: Campaign | None, now: datetime) -> dict[str, Any]:
    """The report for one campaign, or overall with a summary per campaign."""
    exposures = Exposure.objects.filter(occurred_at__lte=now)
    if campaign is not None:
        exposures = exposures.filter(campaign=campaign)
    rows = exposures.order_by("contact_id", "occurred_at", "id").values_list(
        "contact_id", "campaign_id", "channel", "occurred_at"
    )
    conversions = _conversions(exposures, now)
    overall = _Curve()
    per_campaign: dict[int, _Curve] = defaultdict(_Curve)
    for contact_id, seen in _by_contact(rows.iterator(chunk_size=2000)):
        bought = conversions.get(contact_id, [])
        overall.add([(at, ch) for _, ch, at in seen], bought)
        if campaign is None:
            by_campaign: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
            for campaign_id, channel, at in seen:
                if campaign_id is not None:
                    by_campaign[campaign_id].append((at, channel))
            for campaign_id, touches in by_campaign.items():
                per_campaign[campaign_id].add(touches, bought)
    report: dict[str, Any] = {"campaign": campaign.key if campaign else None}
    report |= overall.report()
    if campaign is None:
        keys = dict(Campaign.objects.filter(id__in=per_campaign).values_list("id", "key"))
        report["campaigns"] = [
            {"campaign": keys[cid]} | {k: v for k, v in curve.report().items() if k != "mixes"}
            for cid, curve in sorted(per_campaign.items(), key=lambda c: keys[c[0]])
        ]
    return report


def _conversions(exposures: Any, now: datetime) -> dict[int, list[datetime]]:
    """The conversion times, in order, of every contact exposed in the scope."""
    exposed = exposures.values("contact_id")
    found: dict[int, list[datetime]] = defaultdict(list)
    rows = (
        Conversion.objects.filter(contact_id__in=exposed, occurred_at__lte=now)
        .order_by("contact_id", "occurred_at")
        .values_list("contact_id", "occurred_at")
    )
    for contact_id, at in rows:
        found[contact_id].append(at)
    return found


def _by_contact(
    rows: Iterable[tuple[int, int | None, str, datetime]],
) -> Iterable[tuple[int, list[tuple[int | None, str, datetime]]]]:
    """Rows ordered by contact, grouped: (contact, [(campaign, channel, time), …])."""
    current: int | None = None
    seen: list[tuple[int | None, str, datetime]] = []
    for contact_id, campaign_id, channel, at in rows:
        if contact_id != current:
            if current is not None:
                yield current, seen
            current, seen = contact_id, []
        seen.append((campaign_id, channel, at))
    if current is not None:
        yield current, seen
