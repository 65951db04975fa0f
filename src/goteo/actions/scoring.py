"""Lead scoring: apply the rules document, score new events, add points, let scores decay.

A contact's ``score`` is its value as of ``score_updated_at``; each change first decays it to
``now`` with the rules' half-life, then adds the points and records a ScoreEntry. Crossing the
threshold is settled in ``goteo.actions.handoff`` within the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery

from goteo.actions.handoff import settle
from goteo.campaigns.models import Setting
from goteo.contacts.event_facts import EventFact
from goteo.contacts.models import Contact, Event, ScoreEntry
from goteo.engine.scoring import (
    Rule,
    ScoringRules,
    day_start,
    decayed,
    still_hot,
    within_daily_caps,
)
from goteo.engine.scoring_parser import parse_scoring, rules_of_source

SETTING_KEY = "scoring"
BATCH = 1000
SCORE_FIELDS = ("id", "score", "score_updated_at", "hot_at", "owner")


@dataclass(frozen=True)
class ScoringApplied:
    outcome: str  # "created", "updated" or "unchanged"
    rules: ScoringRules


def do_apply_scoring(source: str) -> ScoringApplied:
    """Validate (raising ScoringInvalid with every problem) and store the rules' source."""
    rules = parse_scoring(source)
    with transaction.atomic():
        row = Setting.objects.select_for_update().filter(key=SETTING_KEY).first()
        if row is not None and row.value == source:
            return ScoringApplied("unchanged", rules)
        Setting.objects.update_or_create(key=SETTING_KEY, defaults={"value": source})
    return ScoringApplied("created" if row is None else "updated", rules)


def scoring_source() -> str | None:
    return Setting.objects.filter(key=SETTING_KEY).values_list("value", flat=True).first()


def current_rules() -> ScoringRules | None:
    """The applied rules (parsed once per checksum), or None when none were applied."""
    source = scoring_source()
    return rules_of_source(source) if source else None


def score_events(facts: list[EventFact], now: datetime) -> None:
    """Score newly stored events by the rules, inside the transaction that stored them.

    One query loads (and locks) the contacts of the batch, one counts today's capped
    scorings; score entries are inserted and contacts updated in bulk.
    """
    rules = current_rules()
    if rules is None or not rules.rules:
        return
    matched: dict[int, list[tuple[EventFact, Rule]]] = defaultdict(list)
    for fact in facts:
        if fact.contact_id is not None:
            for rule in rules.rules_for(fact.name, fact.properties):
                matched[fact.contact_id].append((fact, rule))
    ids = sorted(matched)
    for start in range(0, len(ids), BATCH):
        _score_batch({i: matched[i] for i in ids[start : start + BATCH]}, rules, now)


def _score_batch(
    matched: dict[int, list[tuple[EventFact, Rule]]], rules: ScoringRules, now: datetime
) -> None:
    contacts = list(
        Contact.objects.select_for_update()
        .filter(id__in=list(matched))
        .order_by("id")
        .only(*SCORE_FIELDS)
    )
    today = _scored_today(matched, now)
    entries: list[ScoreEntry] = []
    for contact in contacts:
        pairs = matched[contact.id]
        allowed = within_daily_caps([rule for _, rule in pairs], today.get(contact.id, {}))
        kept = [(fact, rule) for (fact, rule), ok in zip(pairs, allowed, strict=True) if ok]
        current = decayed(contact.score, contact.score_updated_at, now, rules.half_life)
        for fact, rule in kept:
            current += rule.points
            entries.append(
                ScoreEntry(
                    contact_id=contact.id,
                    points=rule.points,
                    reason=rule.reason,
                    event_id=fact.id,
                    created_at=now,
                )
            )
        contact.score, contact.score_updated_at = current, now
    ScoreEntry.objects.bulk_create(entries, batch_size=BATCH)
    Contact.objects.bulk_update(contacts, ["score", "score_updated_at"], batch_size=BATCH)
    settle(contacts, rules, now)


def _scored_today(
    matched: dict[int, list[tuple[EventFact, Rule]]], now: datetime
) -> dict[int, dict[str, int]]:
    """contact id -> rule reason -> score entries today, for the rules with a daily cap."""
    capped = {rule.reason for pairs in matched.values() for _, rule in pairs if rule.max_per_day}
    if not capped:
        return {}
    start = day_start(now)
    rows = (
        ScoreEntry.objects.filter(
            contact_id__in=list(matched),
            reason__in=sorted(capped),
            created_at__gte=start,
            created_at__lt=start + timedelta(days=1),
        )
        .values("contact_id", "reason")
        .annotate(n=Count("id"))
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        counts[row["contact_id"]][row["reason"]] = row["n"]
    return counts


def add_points(
    contact_id: int, points: float, reason: str, now: datetime, event_id: int | None = None
) -> float:
    """Add ``points`` (negative to take away) to a contact's decayed score; the new score.

    Used by a campaign's ``score`` step and by hand edits; records a ScoreEntry and hands
    the lead over (or cools it) if the change crosses the threshold.
    """
    rules = current_rules() or ScoringRules()
    with transaction.atomic():
        contact = Contact.objects.select_for_update().only(*SCORE_FIELDS).get(id=contact_id)
        current = decayed(contact.score, contact.score_updated_at, now, rules.half_life) + points
        contact.score, contact.score_updated_at = current, now
        contact.save(update_fields=["score", "score_updated_at"])
        ScoreEntry.objects.create(
            contact_id=contact_id,
            points=points,
            reason=reason[:200],
            event_id=event_id,
            created_at=now,
        )
        settle([contact], rules, now)
    return current


def decay_tick(now: datetime) -> int:
    """Cool the hot leads whose score has decayed under the threshold; how many cooled.

    Cheap enough to run every worker pass: it reads only the hot leads.
    """
    rules = current_rules()
    if rules is None or rules.threshold is None or rules.half_life is None:
        return 0
    threshold, half_life = rules.threshold, rules.half_life
    hot = Contact.objects.filter(hot_at__isnull=False).values_list(
        "id", "score", "score_updated_at"
    )
    cooled = [i for i, score, since in hot if decayed(score, since, now, half_life) < threshold]
    for start in range(0, len(cooled), BATCH):
        with transaction.atomic():
            contacts = list(
                Contact.objects.select_for_update()
                .filter(id__in=cooled[start : start + BATCH])
                .order_by("id")
                .only(*SCORE_FIELDS)
            )
            settle(contacts, rules, now)
    return len(cooled)


@dataclass(frozen=True)
class Rescored:
    contacts: int  # scores brought up to now
    hot: int  # leads that crossed the threshold (handed over)
    cold: int  # leads that fell under it


def do_rescore(now: datetime) -> Rescored:
    """Bring every non-zero score up to ``now`` (decayed) and re-check the threshold for all:
    after the rules changed (a new threshold or half-life), or to tidy the stored values."""
    rules = current_rules() or ScoringRules()
    totals = [0, 0, 0]
    last_id = 0
    while True:
        with transaction.atomic():
            contacts = list(
                Contact.objects.select_for_update()
                .filter(Q(id__gt=last_id) & (~Q(score=0) | Q(hot_at__isnull=False)))
                .order_by("id")
                .only(*SCORE_FIELDS)[:BATCH]
            )
            if not contacts:
                break
            for contact in contacts:
                contact.score = decayed(
                    contact.score, contact.score_updated_at, now, rules.half_life
                )
                contact.score_updated_at = now
            Contact.objects.bulk_update(contacts, ["score", "score_updated_at"])
            was_hot = sum(1 for c in contacts if c.hot_at is not None)
            handed = settle(contacts, rules, now)
            now_hot = sum(1 for c in contacts if c.hot_at is not None)
        totals[0] += len(contacts)
        totals[1] += handed
        totals[2] += was_hot + handed - now_hot
        last_id = contacts[-1].id
    return Rescored(*totals)


def hot_leads(now: datetime, owner: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The hot leads (of one ``owner``, or all), highest current score first.

    A lead whose score has decayed under the threshold since it was last looked at is left
    out (``decay_tick`` clears it at the worker's next pass).
    """
    rules = current_rules() or ScoringRules()
    leads = Contact.objects.filter(hot_at__isnull=False)
    if owner:
        leads = leads.filter(owner=owner.strip().lower())
    last_event = Event.objects.filter(contact_id=OuterRef("pk")).order_by("-occurred_at")
    rows = leads.annotate(last_activity=Subquery(last_event.values("occurred_at")[:1])).values(
        "id",
        "email",
        "first_name",
        "last_name",
        "score",
        "score_updated_at",
        "owner",
        "hot_at",
        "last_activity",
    )
    found = [
        {
            "id": row["id"],
            "email": row["email"],
            "first_name": row["first_name"],
            "last_name": row["last_name"],
            "score": round(decayed(row["score"], row["score_updated_at"], now, rules.half_life), 3),
            "owner": row["owner"],
            "hot_at": row["hot_at"],
            "last_activity": row["last_activity"],
        }
        for row in rows
        if still_hot(row["score"], row["score_updated_at"], now, rules)
    ]
    found.sort(key=lambda lead: (-lead["score"], lead["id"]))
    return found[:limit]
