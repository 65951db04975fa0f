"""Turn a scoring rules document (YAML or JSON) into ScoringRules, or refuse it whole.

Every problem is collected and named by its path and line, as for campaigns and forms.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import OrderedDict
from typing import Any

from email_validator import EmailNotValidError, validate_email

from goteo.engine import yamlsource
from goteo.engine.conditions import parse_condition, parse_where
from goteo.engine.durations import DurationError, parse_duration
from goteo.engine.http_urls import http_url
from goteo.engine.problems import Problem
from goteo.engine.scoring import Owner, Rule, ScoringRules
from goteo.engine.step_parser import SLUG

TOP_KEYS = ("half_life", "threshold", "rules", "owners", "notify", "webhook")
RULE_KEYS = ("id", "event", "where", "points", "max_per_day")
OWNER_KEYS = ("email", "when")
EVENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
POINTS_LIMIT = 1_000_000
CACHE_SIZE = 8


class ScoringInvalid(ValueError):
    """A scoring document was refused whole; ``problems`` names every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.path))
        super().__init__("\n".join(str(p) for p in self.problems))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _Parser:
    def __init__(self, doc: yamlsource.Located) -> None:
        self.doc = doc
        self.problems = [Problem(line, path, message) for path, line, message in doc.problems]
        self.rule_ids: set[str] = set()
        self.per_event: dict[str, int] = {}  # rules seen so far for each event

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.doc.line(path), path, message))

    def parse(self) -> ScoringRules | None:
        data = self.doc.data
        if data is None and self.problems:
            return None
        if not isinstance(data, dict):
            self.fail("", "scoring rules must be a mapping (half_life, threshold, rules, owners…)")
            return None
        for key in data:
            if key not in TOP_KEYS:
                self.fail(key, f"unknown key (expected one of: {', '.join(TOP_KEYS)})")
        half_life = None
        if data.get("half_life") is not None:
            try:
                half_life = parse_duration(data["half_life"])
            except DurationError as exc:
                self.fail("half_life", str(exc))
        threshold = self._threshold(data.get("threshold"))
        rules = self._rules(data.get("rules", []))
        owners = self._owners(data.get("owners", []))
        notify = data.get("notify", False)
        if not isinstance(notify, bool):
            self.fail("notify", f"{notify!r} must be true or false")
        elif notify and not data.get("owners"):
            self.fail("notify", "notifying needs owners: list at least one under owners")
        webhook = self._webhook(data.get("webhook"))
        if (owners or notify is True or webhook) and "threshold" not in data:
            self.fail("threshold", "is required to hand leads over (owners, notify, webhook)")
        return ScoringRules(
            half_life=half_life,
            threshold=threshold,
            rules=tuple(rules),
            owners=tuple(owners),
            notify=notify is True,
            webhook=webhook,
        )

    def _threshold(self, value: Any) -> float | None:
        if value is None:
            return None
        if not _is_number(value) or value <= 0 or value > POINTS_LIMIT:
            self.fail("threshold", f"{value!r} must be a positive number (up to {POINTS_LIMIT})")
            return None
        return float(value)

    def _rules(self, value: Any) -> list[Rule]:
        if not isinstance(value, list):
            self.fail("rules", "must be a list of {event, points} rules")
            return []
        rules: list[Rule] = []
        for i, raw in enumerate(value):
            rule = self._rule(raw, f"rules[{i}]")
            if rule is not None:
                rules.append(rule)
        return rules

    def _rule(self, raw: Any, path: str) -> Rule | None:
        if not isinstance(raw, dict):
            self.fail(path, "a rule must be a mapping such as {event: purchase, points: 20}")
            return None
        for key in raw:
            if key not in RULE_KEYS:
                self.fail(f"{path}.{key}", f"unknown key (expected one of: {', '.join(RULE_KEYS)})")
        event = raw.get("event")
        if event is None:
            self.fail(path, "a rule needs an event")
        elif not isinstance(event, str) or not EVENT_NAME.match(event):
            self.fail(f"{path}.event", f"{event!r} is not an event name")
            event = None
        points = raw.get("points")
        if points is None:
            self.fail(path, "a rule needs points")
        elif not _is_number(points) or points == 0 or abs(points) > POINTS_LIMIT:
            self.fail(f"{path}.points", f"{points!r} must be a non-zero number")
            points = None
        where = None
        if raw.get("where") is not None:
            where, problems = parse_where(raw["where"], f"{path}.where")
            for where_path, message in problems:
                self.fail(where_path, message)
        max_per_day = raw.get("max_per_day")
        if max_per_day is not None and (
            isinstance(max_per_day, bool) or not isinstance(max_per_day, int) or max_per_day < 1
        ):
            self.fail(f"{path}.max_per_day", f"{max_per_day!r} must be a whole number above 0")
            max_per_day = None
        rule_id = self._rule_id(raw, path, event)
        if event is None or points is None or rule_id is None:
            return None
        return Rule(rule_id, event, float(points), where, max_per_day)

    def _rule_id(self, raw: dict[str, Any], path: str, event: str | None) -> str | None:
        """The rule's own ``id``, or its event name (``event-2``, ``event-3``… for the next
        rules on the same event): it names the rule in score entries, so keep it stable."""
        if event is not None:
            self.per_event[event] = self.per_event.get(event, 0) + 1
        given = raw.get("id")
        if given is not None and (not isinstance(given, str) or not SLUG.match(given)):
            self.fail(f"{path}.id", f"{given!r} must be lowercase letters, digits, '-' or '_'")
            return None
        if given is None:
            if event is None:
                return None
            count = self.per_event[event]
            given = event if count == 1 else f"{event}-{count}"
        if given in self.rule_ids:
            self.fail(f"{path}.id" if "id" in raw else path, f"rule id {given!r} is used twice")
            return None
        self.rule_ids.add(given)
        return given

    def _owners(self, value: Any) -> list[Owner]:
        if not isinstance(value, list):
            self.fail("owners", "must be a list of {email, when} owners")
            return []
        owners: list[Owner] = []
        for i, raw in enumerate(value):
            path = f"owners[{i}]"
            if not isinstance(raw, dict):
                self.fail(path, "an owner must be a mapping such as {email: ana@example.com}")
                continue
            for key in raw:
                if key not in OWNER_KEYS:
                    self.fail(f"{path}.{key}", "unknown key (expected email, when)")
            email = self._email(raw.get("email"), f"{path}.email")
            when = None
            if raw.get("when") is not None:
                when, problems = parse_condition(raw["when"], f"{path}.when")
                for when_path, message in problems:
                    self.fail(when_path, message)
            if email is not None:
                owners.append(Owner(email, when))
        return owners

    def _email(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "an owner needs an email address")
            return None
        try:
            return validate_email(value.strip(), check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            self.fail(path, f"{value!r} is not an email address: {exc}")
            return None

    def _webhook(self, value: Any) -> str:
        if value is None:
            return ""
        url = http_url(value)
        if url is None:
            self.fail("webhook", f"{value!r} must be an http:// or https:// address")
            return ""
        return url


def parse_scoring(text: str) -> ScoringRules:
    """Parse and validate; raise ScoringInvalid naming every problem."""
    parser = _Parser(yamlsource.load(text))
    rules = parser.parse()
    if rules is None or parser.problems:
        raise ScoringInvalid(parser.problems or [Problem(None, "", "invalid scoring rules")])
    return rules


def checksum(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


_cache: OrderedDict[str, ScoringRules] = OrderedDict()


def rules_of_source(source: str) -> ScoringRules:
    """Stored rules (valid when applied), parsed once per checksum and kept in a small cache."""
    key = checksum(source)
    found = _cache.get(key)
    if found is None:
        found = parse_scoring(source)
        _cache[key] = found
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return found
