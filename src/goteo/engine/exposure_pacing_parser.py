"""Parse a campaign's ``pacing:`` target and its ``touch:`` step, naming each problem.

``pacing: {exposures: 29, within: 90d, channels: [email, mail, sms]}`` needs exactly one
``touch:`` step, which names a template (or a list used in turn) for every paced channel:
``{touch: {email: drip, mail: [card_a, card_b], sms: drip_sms}}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from goteo.engine import yamlsource
from goteo.engine.channel_needs import ChannelCheck
from goteo.engine.durations import DurationError, format_duration, parse_duration
from goteo.engine.exposure_pacing import PACED_CHANNELS, ExposurePacing, max_under_cap
from goteo.engine.pacing import Cap
from goteo.engine.problems import Problem
from goteo.engine.sms_steps import template_problems
from goteo.engine.steps import Step, TouchStep

Fail = Callable[[str, str], None]
PACING_KEYS = ("exposures", "within", "channels")
MAX_EXPOSURES = 1000
# A touch's message is stored as ``<step id>.<n>``, in 64 characters.
MAX_TOUCH_ID = 58


def parse_pacing(value: Any, fail: Fail, check: ChannelCheck | None) -> ExposurePacing | None:
    """The target, or None (having called ``fail(path, message)`` for each problem)."""
    if not isinstance(value, dict):
        fail("pacing", "must be a mapping like {exposures: 29, within: 90d, channels: [email]}")
        return None
    for k in value:
        if k not in PACING_KEYS:
            fail(f"pacing.{k}", f"unknown key (expected {', '.join(PACING_KEYS)})")
    exposures = value.get("exposures")
    ok = True
    if isinstance(exposures, bool) or not isinstance(exposures, int):
        fail("pacing.exposures", f"{exposures!r} must be a whole number of exposures")
        ok = False
    elif not 1 <= exposures <= MAX_EXPOSURES:
        fail("pacing.exposures", f"{exposures} must be between 1 and {MAX_EXPOSURES}")
        ok = False
    within = None
    try:
        within = parse_duration(value.get("within"))
    except DurationError as exc:
        fail("pacing.within", str(exc) if "within" in value else "is required (like 90d)")
    channels = _channels(value.get("channels"), fail, check)
    if not ok or within is None or not channels:
        return None
    assert isinstance(exposures, int)
    return ExposurePacing(exposures, within, channels)


def _channels(value: Any, fail: Fail, check: ChannelCheck | None) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        fail("pacing.channels", f"must be a non-empty list of {', '.join(PACED_CHANNELS)}")
        return ()
    found: list[str] = []
    for i, channel in enumerate(value):
        path = f"pacing.channels[{i}]"
        if channel not in PACED_CHANNELS:
            fail(
                path, f"{channel!r} is not a paced channel (available: {', '.join(PACED_CHANNELS)})"
            )
        elif channel in found:
            fail(path, f"{channel!r} is listed twice")
        else:
            problem = check(channel, frozenset()) if check is not None else None
            if problem is not None:
                fail(path, f"{channel}: {problem}")
            found.append(channel)
    return tuple(found) if len(found) == len(value) else ()


def parse_touch(
    raw: Mapping[str, Any], path: str, step_id: str, templates: Mapping[str, Any], fail: Fail
) -> TouchStep | None:
    """A ``touch:`` step: channel -> template name or list of names."""
    spec, where = raw["touch"], f"{path}.touch"
    if not isinstance(spec, dict) or not spec:
        fail(where, "must map each paced channel to a template, like {email: drip, sms: drip_sms}")
        return None
    if len(step_id) > MAX_TOUCH_ID:
        fail(f"{path}.id", f"a touch step's id has at most {MAX_TOUCH_ID} characters")
    chosen: dict[str, tuple[str, ...]] = {}
    for channel, names in spec.items():
        here = f"{where}.{channel}"
        if channel not in PACED_CHANNELS:
            fail(
                here, f"{channel!r} is not a paced channel (available: {', '.join(PACED_CHANNELS)})"
            )
            continue
        listed = names if isinstance(names, list) else [names]
        if not listed or not all(isinstance(n, str) for n in listed):
            fail(here, "must be a template name or a list of them")
            continue
        for name in listed:
            if name not in templates:
                fail(here, f"template {name!r} is not defined under templates")
            else:
                for p, message in template_problems(channel, name, templates[name], where):
                    fail(p, message)
        chosen[channel] = tuple(listed)
    if len(chosen) != len(spec):
        return None
    target = raw.get("next")
    return TouchStep(step_id, chosen, target if isinstance(target, str) else None)


def check_touch_steps(
    pacing: ExposurePacing | None, steps: Sequence[tuple[int, Step]], fail: Fail
) -> None:
    """A paced campaign has exactly one touch step, with a template for each paced channel;
    a touch step needs a ``pacing:`` target."""
    touches = [(i, s) for i, s in steps if isinstance(s, TouchStep)]
    if pacing is None:
        for i, _ in touches:
            fail(f"steps[{i}].touch", "a touch step needs the campaign's pacing: target")
        return
    if not touches:
        fail("pacing", "a paced campaign needs one touch step (steps: [{touch: {email: …}}])")
        return
    for i, _ in touches[1:]:
        fail(f"steps[{i}].touch", "a paced campaign has one touch step")
    i, step = touches[0]
    for channel in pacing.channels:
        if channel not in step.templates:
            fail(f"steps[{i}].touch", f"names no template for the paced channel {channel!r}")
    for channel in step.templates:
        if channel not in pacing.channels:
            fail(f"steps[{i}].touch.{channel}", f"{channel!r} is not in pacing.channels")


def cap_warning(source: str, pacing: ExposurePacing | None, cap: Cap | None) -> Problem | None:
    """A warning at ``pacing.exposures`` when the frequency cap cannot let the target through
    (other campaigns' messages share the cap too, so even a possible target may be missed)."""
    if pacing is None or cap is None:
        return None
    most = max_under_cap(pacing.within, cap.count, cap.period)
    if pacing.exposures <= most:
        return None
    within = format_duration(pacing.within)
    return Problem(
        yamlsource.load(source).line("pacing.exposures"),
        "pacing.exposures",
        f"{pacing.exposures} exposures within {within} cannot be met under the frequency cap "
        f"{cap} (GOTEO_FREQUENCY_CAP), which lets at most {most} through: the touches will "
        "fall behind",
    )
