"""Turn a campaign document (YAML or JSON) into a Campaign, or refuse it whole.

Every problem is collected, named by path and line; nothing is applied half-way.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from goteo.engine import yamlsource
from goteo.engine.channel_needs import ChannelCheck, channel_needs
from goteo.engine.conditions import PropertyFilter, parse_condition, parse_where
from goteo.engine.durations import DurationError, parse_duration
from goteo.engine.exposure_pacing import ExposurePacing
from goteo.engine.exposure_pacing_parser import check_touch_steps, parse_pacing
from goteo.engine.exposure_pages import parse_exposure_pages
from goteo.engine.model import Campaign, Goal, Reentry, TemplateVariant, Trigger
from goteo.engine.postage import PostageBudget, parse_postage, sends_mail
from goteo.engine.printed import Printed, PrintedIn, judge_printed
from goteo.engine.problems import CampaignInvalid, Problem
from goteo.engine.reachability import find_loop, unreachable_steps
from goteo.engine.social_steps import check_social_steps
from goteo.engine.step_parser import SLUG, StepParser
from goteo.engine.steps import BranchStep, SplitStep, Step, WaitForStep
from goteo.engine.window import is_valid_zone
from goteo.engine.window_parser import parse_window

# (field, template source) -> problem messages
TemplateChecker = Callable[[str, str], list[str]]
# template source -> the values it prints without a default (judged by goteo.engine.printed)
PrintedFinder = Callable[[str], Sequence[Printed]]

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
    "strict",
    "goal",
    "exit_when",
    "exposure_pages",
    "pacing",
    "postage",
    "steps",
    "templates",
}
LATER_TOP_KEYS = ("frequency",)
LATER = "is not available in this release"
PRIORITY_LIMIT = 1_000_000
VARIANT_KEYS = {"subject", "html", "text", "preheader", "format", "front", "landing"}


def normalize_locale(value: str) -> str:
    return value.strip().replace("_", "-").lower()


class _Parser:
    def __init__(
        self,
        doc: yamlsource.Located,
        check_template: TemplateChecker | None,
        find_printed: PrintedFinder | None = None,
        check_channel: ChannelCheck | None = None,
    ) -> None:
        self.doc = doc
        self.check_template = check_template
        self.find_printed = find_printed
        self.check_channel = check_channel
        self.problems: list[Problem] = [Problem(ln, p, m) for p, ln, m in doc.problems]
        self.warnings: list[Problem] = []
        self.printed: list[PrintedIn] = []

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
        strict = data.get("strict", False)
        if not isinstance(strict, bool):
            self.fail("strict", f"{strict!r} must be true or false")
        reentry = self._reentry(data.get("reentry", "never"))
        window = parse_window(data["window"], self.fail) if "window" in data else None
        goal = self._goal(data["goal"]) if "goal" in data else None
        exit_when = None
        if "exit_when" in data:
            exit_when, found = parse_condition(data["exit_when"], "exit_when")
            self.report(found)
        pages: tuple[PropertyFilter, ...] = ()
        if "exposure_pages" in data:
            pages, found = parse_exposure_pages(data["exposure_pages"])
            self.report(found)
        pacing: ExposurePacing | None = None
        if "pacing" in data:
            pacing = parse_pacing(data["pacing"], self.fail, self.check_channel)
        templates = self._templates(data.get("templates"), default_locale)
        steps = self._steps(data.get("steps"), templates, pacing, "pacing" in data)
        postage = self._postage(data["postage"], steps) if "postage" in data else None
        problems, warnings = judge_printed(self.printed, steps, trigger, strict=strict is True)
        for path, n, message in problems:
            self.problems.append(Problem(self.doc.text_line(path, n), path, message))
        for path, n, message in warnings:
            self.warnings.append(Problem(self.doc.text_line(path, n), path, message))
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
            goal=goal,
            exit_when=exit_when,
            strict=strict is True,
            exposure_pages=pages,
            pacing=pacing,
            postage=postage,
        )

    def _postage(self, value: Any, steps: list[Step]) -> PostageBudget | None:
        postage = parse_postage(value, self.fail)
        if postage is not None and steps and not sends_mail(steps):
            message = "no step sends mail (send: mail), so the budget is never spent"
            self.warnings.append(Problem(self.doc.line("postage"), "postage", message))
        return postage

    def report(self, found: list[tuple[str, str]]) -> None:
        for path, message in found:
            self.fail(path, message)

    def _goal(self, value: Any) -> Goal | None:
        """``{event: purchase, where: {...}, within: 30d}``."""
        if not isinstance(value, dict):
            self.fail("goal", "must be a mapping like {event: purchase, within: 30d}")
            return None
        for k in value:
            if k not in ("event", "where", "within"):
                self.fail(f"goal.{k}", "unknown key (expected event, where, within)")
        event = value.get("event")
        if not isinstance(event, str) or not SLUG.match(event):
            self.fail("goal.event", f"{event!r} must be an event name")
            return None
        where = None
        if "where" in value:
            where, found = parse_where(value["where"], "goal.where")
            self.report(found)
        within = None
        if "within" in value:
            try:
                within = parse_duration(value["within"])
            except DurationError as exc:
                self.fail("goal.within", str(exc))
        return Goal(event=event, where=where, within=within)

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
        if isinstance(value, dict) and "event" in value and set(value) <= {"event", "where"}:
            return self._event_trigger(value)
        if isinstance(value, dict) and len(value) == 1:
            ((kind, arg),) = value.items()
            if kind == "subscribed" and isinstance(arg, str) and SLUG.match(arg):
                return Trigger("subscribed", arg)
            if kind == "subscribed":
                self.fail("trigger.subscribed", f"{arg!r} must be a list or form key")
                return Trigger("manual")
            if kind == "segment":
                condition, found = parse_condition(arg, "trigger.segment")
                self.report(found)
                return Trigger("segment", condition=condition)
        self.fail(
            "trigger",
            f"{value!r} is not a trigger (manual, {{subscribed: <list>}}, {{event: <name>}} "
            "or {segment: <condition>})",
        )
        return Trigger("manual")

    def _event_trigger(self, value: dict[str, Any]) -> Trigger:
        event = value["event"]
        if not isinstance(event, str) or not SLUG.match(event):
            self.fail("trigger.event", f"{event!r} must be an event name")
            return Trigger("manual")
        where = None
        if "where" in value:
            where, found = parse_where(value["where"], "trigger.where")
            self.report(found)
        return Trigger("event", event, where=where)

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
                variant = self._variant(body, vpath, name)
                if locale and variant:
                    result[name][locale] = variant
            given = {normalize_locale(str(k)) for k in variants}
            if default_locale and default_locale not in given:
                self.fail(path, f"has no variant for the default locale {default_locale!r}")
        return result

    def _variant(self, body: Any, path: str, name: str) -> TemplateVariant | None:
        if not isinstance(body, dict):
            self.fail(path, "must be a mapping with subject and html")
            return None
        for k in body:
            if k not in VARIANT_KEYS:
                self.fail(
                    f"{path}.{k}", f"unknown key (expected {', '.join(sorted(VARIANT_KEYS))})"
                )
        # Text alone is an SMS or social post template (engine/sms_steps.py, social steps);
        # an email needs subject and html.
        post = "text" in body and "subject" not in body and "html" not in body
        subject = self.text(body, "subject", path, required=not post)
        html = self.text(body, "html", path, required=not post)
        text = self.text(body, "text", path, required=False)
        preheader = self.text(body, "preheader", path, required=False)
        mailer = {k: self.text(body, k, path, required=False) for k in ("format", "front")}
        landing = self.text(body, "landing", path, required=False)
        fields = {
            "subject": subject or None,
            "html": html or None,
            "text": text,
            "preheader": preheader,
        }
        fields["front"] = mailer["front"]
        for k, source in fields.items():
            if source is None:
                continue
            for message in self.check_template(k, source) if self.check_template else ():
                self.fail(f"{path}.{k}", message)
            for value in self.find_printed(source) if self.find_printed else ():
                self.printed.append(PrintedIn(name, f"{path}.{k}", value))
        if post and text is not None:
            return TemplateVariant(subject="", html="", text=text, preheader=preheader)
        if subject is None or html is None:
            return None
        return TemplateVariant(
            subject=subject, html=html, text=text, preheader=preheader, landing=landing, **mailer
        )

    def _steps(
        self, value: Any, templates: Mapping[str, Any], pacing: ExposurePacing | None, paced: bool
    ) -> list[Step]:
        if not isinstance(value, list) or not value:
            self.fail("steps", "is required: a non-empty list of steps")
            return []
        before = len(self.problems)
        steps_parser = StepParser(self.fail, templates, self.check_channel)
        parsed: list[tuple[int, Step]] = []  # (index in the document, step)
        for i, raw in enumerate(value):
            step = steps_parser.parse(raw, f"steps[{i}]", i)
            if step is not None:
                parsed.append((i, step))
        steps = [step for _, step in parsed]
        check_social_steps(parsed, templates, self.doc, self.fail)
        if pacing is not None or not paced:  # a pacing that was refused says so itself
            check_touch_steps(pacing, parsed, self.fail)
        first_index: dict[str, int] = {}
        for i, step in parsed:
            if step.id in first_index:
                self.fail(f"steps[{i}].id", f"duplicate step id {step.id!r}")
            first_index.setdefault(step.id, i)
        for i, step in parsed:
            for key, target in _written_targets(step):
                if target is not None and target not in first_index:
                    message = f"refers to step {target!r}, which does not exist"
                    guess = difflib.get_close_matches(target, list(first_index), n=1, cutoff=0.6)
                    if guess:
                        message += f" (did you mean {guess[0]!r}?)"
                    self.fail(f"steps[{i}].{key}", message)
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


def _written_targets(step: Step) -> list[tuple[str, str | None]]:
    """(document key, target) for every step id the step names."""
    if isinstance(step, WaitForStep | BranchStep):
        return [("then", step.then), ("else", step.otherwise)]
    if isinstance(step, SplitStep):
        return [(f"{step.listed_at}[{j}].next", v.next) for j, v in enumerate(step.variants)]
    return [("next", getattr(step, "next", None))]


def parse_campaign(
    text: str,
    check_template: TemplateChecker | None = None,
    check_channel: ChannelCheck | None = None,
) -> Campaign:
    """Parse and validate; raise CampaignInvalid naming every problem.

    ``check_channel`` says whether the configuration offers a channel and the capabilities
    the campaign needs of it (``validate`` and ``apply`` pass one)."""
    return parse_with_warnings(text, check_template, None, check_channel)[0]


def parse_with_warnings(
    text: str,
    check_template: TemplateChecker | None = None,
    find_printed: PrintedFinder | None = None,
    check_channel: ChannelCheck | None = None,
) -> tuple[Campaign, list[Problem]]:
    """Parse and validate: the campaign and its warnings (sorted by line), or CampaignInvalid
    naming every problem, and the warnings found as well."""
    parser = _Parser(yamlsource.load(text), check_template, find_printed, check_channel)
    campaign = parser.parse()
    if campaign is not None and check_channel is not None:  # the capabilities it needs
        for need in channel_needs(campaign):
            if not need.capabilities:
                continue  # the channel itself was checked at its step
            problem = check_channel(need.channel, need.capabilities)
            if problem is not None:
                parser.fail(need.path, f"{need.channel}: {problem}")
    if campaign is None or parser.problems:
        problems = parser.problems or [Problem(None, "", "invalid campaign")]
        raise CampaignInvalid(problems, parser.warnings)
    return campaign, sorted(parser.warnings, key=lambda p: (p.line or 0, p.path))
