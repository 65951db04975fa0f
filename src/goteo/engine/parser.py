"""Turn a campaign document (YAML or JSON) into a Campaign, or refuse it whole.

Every problem is collected, named by path and line; nothing is applied half-way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import time
from typing import Any

from goteo.engine import yamlsource
from goteo.engine.durations import DurationError, parse_duration
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
from goteo.engine.problems import CampaignInvalid, Problem
from goteo.engine.reachability import find_loop, unreachable_steps
from goteo.engine.window import DAY_NAMES, Window, is_valid_zone

# (field path, template source) -> problem messages
TemplateChecker = Callable[[str, str], list[str]]

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
LOCALE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
TOP_KEYS = {
    "key",
    "name",
    "description",
    "default_locale",
    "trigger",
    "reentry",
    "window",
    "timezone",
    "priority",
    "steps",
    "templates",
}
LATER_TOP_KEYS = ("goal", "exit_when", "frequency")
STEP_KINDS = ("send", "wait", "exit")
LATER_KINDS = ("wait_for", "branch", "split", "update", "score", "notify", "webhook", "coupon")
CHANNELS = ("email",)
LATER_CHANNELS = ("sms", "direct_mail", "social", "webhook")
LATER = "is not available in this release"
PRIORITY_LIMIT = 1_000_000
VARIANT_KEYS = {"subject", "html", "text", "preheader"}
HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def normalize_locale(value: str) -> str:
    return value.strip().replace("_", "-").lower()


class _Parser:
    def __init__(self, doc: yamlsource.Located, check_template: TemplateChecker | None) -> None:
        self.doc = doc
        self.check_template = check_template
        self.problems: list[Problem] = [Problem(ln, p, m) for p, ln, m in doc.problems]

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.doc.line(path), path, message))

    def text(self, data: Mapping[str, Any], key: str, path: str, *, required: bool) -> str | None:
        value = data.get(key)
        where = yamlsource.join(path, key)
        if value is None:
            if required:
                self.fail(where if path else key, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"{value!r} must be non-empty text")
            return None
        return value

    def parse(self) -> Campaign | None:
        data = self.doc.data
        if data is None and self.problems:
            return None  # not YAML at all; structural problems (duplicate keys) go on below
        if not isinstance(data, dict):
            self.fail("", "a campaign must be a mapping of keys (key, name, steps, templates…)")
            return None
        for key in data:
            if key in LATER_TOP_KEYS:
                self.fail(key, f"{key!r} {LATER}")
            elif key not in TOP_KEYS:
                self.fail(key, f"unknown key (expected one of: {', '.join(sorted(TOP_KEYS))})")
        key = self.text(data, "key", "", required=True)
        if key is not None and not SLUG.match(key):
            self.fail("key", f"{key!r} must be lowercase letters, digits, '-' or '_'")
        name = self.text(data, "name", "", required=False) or key or ""
        default_locale = self._locale(data.get("default_locale", "en"), "default_locale")
        timezone = self.text(data, "timezone", "", required=False) or "UTC"
        if not is_valid_zone(timezone):
            self.fail("timezone", f"{timezone!r} is not a known time zone")
        if "description" in data and not isinstance(data["description"], str):
            self.fail("description", "must be text")
        trigger = self._trigger(data.get("trigger", "manual"))
        priority = self._priority(data.get("priority", 0))
        reentry = self._reentry(data.get("reentry", "never"))
        window = self._window(data["window"]) if "window" in data else None
        templates = self._templates(data.get("templates"), default_locale)
        steps = self._steps(data.get("steps"), templates)
        if self.problems or key is None or default_locale is None:
            return None
        return Campaign(
            key=key,
            name=name,
            default_locale=default_locale,
            trigger=trigger,
            reentry=reentry,
            steps=tuple(steps),
            templates=templates,
            window=window,
            timezone=timezone,
            priority=priority,
        )

    def _locale(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not LOCALE.match(normalize_locale(value)):
            self.fail(path, f"{value!r} is not a locale (like en, es, fr-CA)")
            return None
        return normalize_locale(value)

    def _priority(self, value: Any) -> int:
        """Higher goes first when campaigns compete for a contact's frequency cap."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail("priority", f"{value!r} must be a whole number")
            return 0
        if abs(value) > PRIORITY_LIMIT:
            self.fail("priority", f"{value} must be between -{PRIORITY_LIMIT} and {PRIORITY_LIMIT}")
            return 0
        return value

    def _trigger(self, value: Any) -> Trigger:
        if value == "manual" or value == {"manual": True}:
            return Trigger("manual")
        if isinstance(value, dict) and len(value) == 1:
            ((kind, arg),) = value.items()
            if kind == "subscribed" and isinstance(arg, str) and SLUG.match(arg):
                return Trigger("subscribed", arg)
            if kind == "subscribed":
                self.fail("trigger.subscribed", f"{arg!r} must be a list or form key")
                return Trigger("manual")
            if kind in ("event", "segment"):
                self.fail(f"trigger.{kind}", f"trigger '{kind}' {LATER}")
                return Trigger("manual")
        self.fail("trigger", f"{value!r} is not a trigger (manual, or {{subscribed: <list>}})")
        return Trigger("manual")

    def _reentry(self, value: Any) -> Reentry:
        if value in ("never", "always"):
            return Reentry(value)
        if isinstance(value, dict) and set(value) == {"after"}:
            try:
                return Reentry("after", parse_duration(value["after"]))
            except DurationError as exc:
                self.fail("reentry.after", str(exc))
                return Reentry("never")
        self.fail("reentry", f"{value!r} must be never, always, or {{after: <duration>}}")
        return Reentry("never")

    def _window(self, value: Any) -> Window | None:
        if not isinstance(value, dict):
            self.fail("window", "must be a mapping with days and hours")
            return None
        for k in value:
            if k not in ("days", "hours"):
                self.fail(f"window.{k}", "unknown key (expected days, hours)")
        days_value = value.get("days", list(DAY_NAMES))
        days: set[int] = set()
        if not isinstance(days_value, list) or not days_value:
            self.fail("window.days", "must be a non-empty list like [mon, tue, wed]")
        else:
            for i, day in enumerate(days_value):
                name = str(day).lower()[:3]
                full = (
                    "monday",
                    "tuesday",
                    "wednesday",
                    "thursday",
                    "friday",
                    "saturday",
                    "sunday",
                )
                if not isinstance(day, str) or day.lower() not in (*DAY_NAMES, *full):
                    self.fail(f"window.days[{i}]", f"{day!r} is not a day (mon … sun)")
                else:
                    days.add(DAY_NAMES.index(name))
        hours = value.get("hours", "00:00-24:00")
        match = HOURS.match(hours) if isinstance(hours, str) else None
        if not match:
            self.fail("window.hours", f"{hours!r} must look like 09:00-18:00")
            return None
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
            self.fail("window.hours", f"{hours!r} is not a valid time range")
            return None
        if (h1, m1) == (h2, m2):
            self.fail("window.hours", f"{hours!r} is an empty range")
            return None
        return Window(frozenset(days), time(h1, m1), time(h2 % 24, m2)) if days else None

    def _templates(
        self, value: Any, default_locale: str | None
    ) -> dict[str, dict[str, TemplateVariant]]:
        result: dict[str, dict[str, TemplateVariant]] = {}
        if not isinstance(value, dict) or not value:
            self.fail("templates", "is required: a mapping of template name -> locale -> content")
            return result
        for name, variants in value.items():
            path = f"templates.{name}"
            if not SLUG.match(name):
                self.fail(path, f"{name!r} must be lowercase letters, digits, '-' or '_'")
            if not isinstance(variants, dict) or not variants:
                self.fail(path, "must map locales (en, es, …) to {subject, html}")
                continue
            result[name] = {}
            for raw_locale, body in variants.items():
                vpath = f"{path}.{raw_locale}"
                locale = self._locale(raw_locale, vpath)
                variant = self._variant(body, vpath)
                if locale and variant:
                    result[name][locale] = variant
            given = {normalize_locale(str(k)) for k in variants}
            if default_locale and default_locale not in given:
                self.fail(path, f"has no variant for the default locale {default_locale!r}")
        return result

    def _variant(self, body: Any, path: str) -> TemplateVariant | None:
        if not isinstance(body, dict):
            self.fail(path, "must be a mapping with subject and html")
            return None
        for k in body:
            if k not in VARIANT_KEYS:
                self.fail(
                    f"{path}.{k}", f"unknown key (expected {', '.join(sorted(VARIANT_KEYS))})"
                )
        subject = self.text(body, "subject", path, required=True)
        html = self.text(body, "html", path, required=True)
        text = self.text(body, "text", path, required=False)
        preheader = self.text(body, "preheader", path, required=False)
        if self.check_template is not None:
            for k, source in (
                ("subject", subject),
                ("html", html),
                ("text", text),
                ("preheader", preheader),
            ):
                if source is not None:
                    for message in self.check_template(k, source):
                        self.fail(f"{path}.{k}", message)
        if subject is None or html is None:
            return None
        return TemplateVariant(subject=subject, html=html, text=text, preheader=preheader)

    def _steps(self, value: Any, templates: Mapping[str, Any]) -> list[Step]:
        if not isinstance(value, list) or not value:
            self.fail("steps", "is required: a non-empty list of steps")
            return []
        before = len(self.problems)
        parsed: list[tuple[int, Step]] = []  # (index in the document, step)
        for i, raw in enumerate(value):
            step = self._step(raw, f"steps[{i}]", i, templates)
            if step is not None:
                parsed.append((i, step))
        steps = [step for _, step in parsed]
        first_index: dict[str, int] = {}
        for i, step in parsed:
            if step.id in first_index:
                self.fail(f"steps[{i}].id", f"duplicate step id {step.id!r}")
            first_index.setdefault(step.id, i)
        for i, step in parsed:
            target = getattr(step, "next", None)
            if target is not None and target not in first_index:
                self.fail(f"steps[{i}].next", f"refers to step {target!r}, which does not exist")
        # The flow can be judged only when every step was understood.
        if len(steps) == len(value) and len(self.problems) == before:
            loop = find_loop(steps)
            if loop is not None:
                names = " -> ".join(steps[j].id for j in [*loop, loop[0]])
                self.fail(f"steps[{loop[0]}]", f"steps form a loop ({names}); a journey must end")
                return steps
            for i in unreachable_steps(steps):
                self.fail(f"steps[{i}]", f"step {steps[i].id!r} is unreachable")
        return steps

    def _step(self, raw: Any, path: str, i: int, templates: Mapping[str, Any]) -> Step | None:
        if not isinstance(raw, dict):
            self.fail(path, "a step must be a mapping such as {send: email, template: welcome}")
            return None
        kinds = [k for k in STEP_KINDS if k in raw]
        later = [k for k in LATER_KINDS if k in raw]
        if later:
            self.fail(f"{path}.{later[0]}", f"step '{later[0]}' {LATER}")
            return None
        if len(kinds) != 1:
            if kinds:
                found = f"found {' and '.join(kinds)}"
            else:
                others = [k for k in raw if k not in ("id", "next", "template")]
                found = f"unknown step {others[0]!r}" if others else "found none"
            self.fail(path, f"a step needs exactly one of send, wait, exit ({found})")
            return None
        kind = kinds[0]
        allowed = {"id", kind, "next"} | ({"template"} if kind == "send" else set())
        for k in raw:
            if k not in allowed:
                article = "an" if kind[0] in "aeiou" else "a"
                self.fail(f"{path}.{k}", f"unknown key for {article} {kind} step")
        step_id = raw.get("id", f"step-{i + 1}")
        if not isinstance(step_id, str) or not SLUG.match(step_id):
            self.fail(f"{path}.id", f"{step_id!r} must be lowercase letters, digits, '-' or '_'")
        nxt = raw.get("next")
        if nxt is not None and not isinstance(nxt, str):
            self.fail(f"{path}.next", f"{nxt!r} must be a step id")
        if kind == "exit":
            if "next" in raw:
                self.fail(f"{path}.next", "an exit step ends the journey; it has no next")
            reason = raw["exit"] if isinstance(raw["exit"], str) else "exit step"
            if raw["exit"] is not True and not isinstance(raw["exit"], str):
                self.fail(f"{path}.exit", "must be true or a reason")
            return ExitStep(id=str(step_id), reason=reason)
        if kind == "wait":
            try:
                return WaitStep(id=str(step_id), duration=parse_duration(raw["wait"]), next=nxt)
            except DurationError as exc:
                self.fail(f"{path}.wait", str(exc))
                return None
        channel, template = raw["send"], raw.get("template")
        if channel in LATER_CHANNELS:
            self.fail(f"{path}.send", f"channel {channel!r} {LATER} (available: email)")
        elif channel not in CHANNELS:
            self.fail(f"{path}.send", f"{channel!r} is not a channel (available: email)")
        if not isinstance(template, str):
            self.fail(
                f"{path}.template" if "template" in raw else path, "a send step needs a template"
            )
            return None
        if template not in templates:
            self.fail(f"{path}.template", f"template {template!r} is not defined under templates")
        return SendStep(id=str(step_id), channel=str(channel), template=template, next=nxt)


def parse_campaign(text: str, check_template: TemplateChecker | None = None) -> Campaign:
    """Parse and validate; raise CampaignInvalid naming every problem."""
    parser = _Parser(yamlsource.load(text), check_template)
    campaign = parser.parse()
    if campaign is None or parser.problems:
        raise CampaignInvalid(parser.problems or [Problem(None, "", "invalid campaign")])
    return campaign
