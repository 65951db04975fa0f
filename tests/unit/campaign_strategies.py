"""Hypothesis strategies shared by the engine's property tests.

Campaigns are generated as engine models (so steps that nobody reaches can be generated too)
and can be rendered back to the campaign format with ``to_document``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import yaml
from hypothesis import strategies as st

from goteo.engine.advance import ContactView
from goteo.engine.durations import format_duration
from goteo.engine.model import (
    Campaign,
    ExitStep,
    Reentry,
    SendStep,
    Step,
    TemplateVariant,
    Trigger,
    WaitStep,
)
from goteo.engine.window import DAY_NAMES, Window

# Zones with daylight-saving time in both hemispheres, half-hour and 45-minute offsets, a
# half-hour DST shift (Lord Howe) and a zone whose transitions happen at local midnight
# (Santiago).
ZONES = (
    "UTC",
    "Europe/Madrid",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Chatham",
)
DST_ZONES = (
    "Europe/Madrid",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Chatham",
)
UNKNOWN_ZONE = "Mars/Olympus_Mons"
CONTACT_ZONES = (*ZONES, None, UNKNOWN_ZONE)

TEMPLATE_NAMES = ("welcome", "nudge", "offer")
TEMPLATE_LOCALES = ("en", "fr", "fr-ca", "es")
CONTACT_LOCALES = (None, "en", "fr", "fr-CA", "fr_CA", "es-MX", "pt-BR", "de")

FIRST_YEAR, LAST_YEAR = 2024, 2026


@cache
def dst_transitions(zone_name: str) -> tuple[datetime, ...]:
    """The UTC instants, to the minute, at which ``zone_name`` changes its offset."""
    tz = ZoneInfo(zone_name)
    found = []
    t = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
    end = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=6)
    while t < end:
        if t.astimezone(tz).utcoffset() != (t + step).astimezone(tz).utcoffset():
            lo, hi = t, t + step
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(second=0, microsecond=0)
                if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        t += step
    return tuple(found)


def all_transitions() -> list[datetime]:
    return sorted({t for name in DST_ZONES for t in dst_transitions(name)})


# -- moments ------------------------------------------------------------------------------

_plain_moments = st.datetimes(
    min_value=datetime(FIRST_YEAR, 1, 1),
    max_value=datetime(LAST_YEAR, 11, 30),
    timezones=st.just(UTC),
)


@st.composite
def _near_transition(draw: st.DrawFn) -> datetime:
    base = draw(st.sampled_from(all_transitions()))
    offset = draw(st.integers(min_value=-3 * 86400, max_value=3 * 86400))
    return base + timedelta(seconds=offset)


# Any moment in the years covered, with extra weight on the days around DST changes.
moments = st.one_of(_plain_moments, _near_transition())


# -- campaigns ----------------------------------------------------------------------------

durations = st.integers(min_value=1, max_value=10 * 24 * 60).map(lambda m: timedelta(minutes=m))


@st.composite
def windows(draw: st.DrawFn) -> Window:
    days = draw(st.frozensets(st.integers(min_value=0, max_value=6), min_size=1))
    start = draw(st.integers(min_value=0, max_value=24 * 60 - 1))
    end = draw(st.integers(min_value=1, max_value=24 * 60).filter(lambda e: e != start))
    return Window(days, _clock(start), _clock(end % (24 * 60)))


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _variant(name: str, locale: str) -> TemplateVariant:
    return TemplateVariant(subject=f"{name} ({locale})", html=f"<p>{name} in {locale}</p>")


@st.composite
def step_lists(draw: st.DrawFn, *, max_steps: int = 8, jumps: bool = True) -> tuple[Step, ...]:
    """Send, wait and exit steps, ids ``step-N``, optional forward ``next`` jumps (no loops)."""
    n = draw(st.integers(min_value=1, max_value=max_steps))
    kinds = draw(
        st.lists(st.sampled_from(("send", "send", "wait", "wait", "exit")), min_size=n, max_size=n)
    )
    steps: list[Step] = []
    for i, kind in enumerate(kinds):
        step_id = f"step-{i + 1}"
        nxt = None
        if kind != "exit" and jumps and i + 2 < n and draw(st.integers(0, 3)) == 0:
            nxt = f"step-{draw(st.integers(min_value=i + 3, max_value=n))}"
        if kind == "send":
            template = draw(st.sampled_from(TEMPLATE_NAMES))
            steps.append(SendStep(id=step_id, channel="email", template=template, next=nxt))
        elif kind == "wait":
            steps.append(WaitStep(id=step_id, duration=draw(durations), next=nxt))
        else:
            steps.append(ExitStep(id=step_id))
    return tuple(steps)


@st.composite
def campaigns(draw: st.DrawFn, *, max_steps: int = 8, jumps: bool = True) -> Campaign:
    templates = {}
    for name in TEMPLATE_NAMES:
        extra = draw(st.lists(st.sampled_from(TEMPLATE_LOCALES[1:]), unique=True))
        templates[name] = {loc: _variant(name, loc) for loc in ("en", *extra)}
    return Campaign(
        key="generated",
        name="Generated",
        default_locale="en",
        trigger=Trigger("manual"),
        reentry=Reentry("never"),
        steps=draw(step_lists(max_steps=max_steps, jumps=jumps)),
        templates=templates,
        window=draw(st.none() | windows()),
        timezone=draw(st.sampled_from(ZONES)),
    )


contacts = st.builds(
    ContactView,
    status=st.just("active"),
    locale=st.sampled_from(CONTACT_LOCALES),
    timezone=st.sampled_from(CONTACT_ZONES),
)


def to_document(campaign: Campaign) -> str:
    """The campaign in the YAML campaign format (the inverse of the parser)."""
    steps = []
    for step in campaign.steps:
        raw: dict[str, object] = {"id": step.id}
        if isinstance(step, SendStep):
            raw.update(send=step.channel, template=step.template)
        elif isinstance(step, WaitStep):
            raw["wait"] = format_duration(step.duration)
        else:
            assert isinstance(step, ExitStep), step  # the strategies make only these three
            raw["exit"] = step.reason if step.reason != "exit step" else True
        if getattr(step, "next", None) is not None:
            raw["next"] = step.next  # type: ignore[union-attr]
        steps.append(raw)
    doc: dict[str, object] = {
        "key": campaign.key,
        "name": campaign.name,
        "default_locale": campaign.default_locale,
        "timezone": campaign.timezone,
        "steps": steps,
        "templates": {
            name: {loc: {"subject": v.subject, "html": v.html} for loc, v in variants.items()}
            for name, variants in campaign.templates.items()
        },
    }
    if campaign.window is not None:
        w = campaign.window
        end = "24:00" if w.end == time(0, 0) else w.end.strftime("%H:%M")
        doc["window"] = {
            "days": [DAY_NAMES[d] for d in sorted(w.days)],
            "hours": f"{w.start.strftime('%H:%M')}-{end}",
        }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


# -- the worker ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Look:
    """One look of the worker at the enrollment.

    ``kind``: ``wake`` (exactly at wake_at), ``late`` (wake_at + ``seconds``), ``early``
    (``seconds`` after the previous look, possibly before wake_at) or ``again`` (at the same
    moment as the previous look).
    """

    kind: str
    seconds: int = 0


looks = st.one_of(
    st.just(Look("wake")),
    st.just(Look("again")),
    st.builds(Look, st.just("late"), st.integers(min_value=1, max_value=5 * 86400)),
    st.builds(Look, st.just("early"), st.integers(min_value=1, max_value=2 * 86400)),
)
schedules = st.lists(looks, max_size=25)
