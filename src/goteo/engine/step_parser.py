"""Parse one step of a campaign document, naming every problem by its path.

The campaign parser (``goteo.engine.parser``) owns the document; this module knows the step
kinds: send, touch (engine/exposure_pacing_parser.py), wait, wait_for, branch, split,
update, score, notify, webhook, exit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from goteo.engine.channel_needs import CHANNELS, ChannelCheck
from goteo.engine.conditions import parse_condition, parse_where
from goteo.engine.coupon_spec import parse_coupon_spec
from goteo.engine.durations import DurationError, parse_duration
from goteo.engine.exposure_pacing_parser import parse_touch
from goteo.engine.http_urls import http_url
from goteo.engine.sms_steps import parse_max_segments, template_problems
from goteo.engine.steps import (
    BranchStep,
    ExitStep,
    NotifyStep,
    ScoreStep,
    SendStep,
    SplitStep,
    Step,
    UpdateStep,
    Variant,
    WaitForStep,
    WaitStep,
    WebhookStep,
)
from goteo.engine.winner_rule import parse_winner

Fail = Callable[[str, str], None]

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\Z")
ATTRIBUTE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
STEP_KINDS = (
    "send",
    "wait",
    "wait_for",
    "branch",
    "split",
    "update",
    "score",
    "notify",
    "webhook",
    "touch",
    "exit",
)
# The keys each kind allows beside ``id`` and its own.
EXTRA_KEYS: dict[str, set[str]] = {
    "send": {"template", "coupon", "next", "max_segments", "account"},
    "touch": {"next"},
    "wait": {"next"},
    "wait_for": {"then", "else"},
    "branch": {"then", "else"},
    "split": set(),
    "update": {"next"},
    "score": {"next"},
    "notify": {"next"},
    "webhook": {"next"},
    "exit": set(),
}
MAX_POINTS = 1_000_000


class StepParser:
    def __init__(
        self, fail: Fail, templates: Mapping[str, Any], check_channel: ChannelCheck | None = None
    ) -> None:
        self.fail = fail
        self.templates = templates
        self.check_channel = check_channel  # is the channel configured here?
        self.mail_seen = False  # has an earlier step sent mail? (``wait: {after: in_home}``)
        self.split_seen = False  # only the first split may have a winner rule

    def problems(self, found: list[tuple[str, str]]) -> None:
        for path, message in found:
            self.fail(path, message)

    def parse(self, raw: Any, path: str, i: int) -> Step | None:
        if not isinstance(raw, dict):
            self.fail(path, "a step must be a mapping such as {send: email, template: welcome}")
            return None
        kinds = [k for k in STEP_KINDS if k in raw]
        if len(kinds) != 1:
            if kinds:
                found = f"found {' and '.join(kinds)}"
            else:
                others = [k for k in raw if k not in ("id", "next", "template", "then", "else")]
                found = f"unknown step {others[0]!r}" if others else "found none"
            self.fail(path, f"a step needs exactly one of {', '.join(STEP_KINDS)} ({found})")
            return None
        kind = kinds[0]
        for k in raw:
            if k not in {"id", kind} | EXTRA_KEYS[kind]:
                article = "an" if kind[0] in "aeiou" else "a"
                self.fail(f"{path}.{k}", f"unknown key for {article} {kind} step")
        step_id = raw.get("id", f"step-{i + 1}")
        if not isinstance(step_id, str) or not SLUG.match(step_id):
            self.fail(f"{path}.id", f"{step_id!r} must be lowercase letters, digits, '-' or '_'")
            step_id = f"step-{i + 1}"
        for key in ("next", "then", "else"):
            if key in raw and not isinstance(raw[key], str):
                self.fail(f"{path}.{key}", f"{raw[key]!r} must be a step id")
        parse = getattr(self, f"_{kind}")
        step: Step | None = parse(raw, path, step_id)
        return step

    def _target(self, raw: Mapping[str, Any], key: str) -> str | None:
        value = raw.get(key)
        return value if isinstance(value, str) else None

    def _duration(self, value: Any, path: str) -> Any:
        try:
            return parse_duration(value)
        except DurationError as exc:
            self.fail(path, str(exc))
            return None

    def _exit(self, raw: Mapping[str, Any], path: str, step_id: str) -> Step | None:
        value = raw["exit"]
        if value is not True and not (isinstance(value, str) and value.strip()):
            self.fail(f"{path}.exit", "must be true or a reason")
        return ExitStep(id=step_id, reason=value if isinstance(value, str) else "exit step")

    def _wait(self, raw: Mapping[str, Any], path: str, step_id: str) -> Step | None:
        spec = raw["wait"]
        if isinstance(spec, dict):
            return self._wait_after(spec, f"{path}.wait", step_id, self._target(raw, "next"))
        duration = self._duration(spec, f"{path}.wait")
        if duration is None:
            return None
        return WaitStep(id=step_id, duration=duration, next=self._target(raw, "next"))

    def _wait_after(
        self, spec: Mapping[str, Any], path: str, step_id: str, target: str | None
    ) -> Step | None:
        """``wait: {after: in_home, for: 3d}``: from the in-home date of the latest mailer."""
        for key in spec:
            if key not in ("after", "for"):
                self.fail(f"{path}.{key}", "unknown key: a wait takes after and for")
        if spec.get("after") != "in_home":
            self.fail(f"{path}.after", "must be in_home (the in-home date of the last mailer)")
            return None
        if not self.mail_seen:
            self.fail(f"{path}.after", "no earlier step sends mail (send: mail)")
        if "for" not in spec:
            self.fail(f"{path}.for", "is required: how long after the in-home date, like 3d")
            return None
        duration = self._duration(spec["for"], f"{path}.for")
        if duration is None:
            return None
        return WaitStep(id=step_id, duration=duration, next=target, after_in_home=True)

    def _send(self, raw: Mapping[str, Any], path: str, step_id: str) -> Step | None:
        channel, template = raw["send"], raw.get("template")
        self.mail_seen = self.mail_seen or channel == "mail"
        if channel == "webhook":
            self.fail(f"{path}.send", "a webhook is its own step: {webhook: {url: …}}")
        elif channel not in CHANNELS:
            known = ", ".join(CHANNELS)
            self.fail(f"{path}.send", f"{channel!r} is not a channel (available: {known})")
        elif self.check_channel is not None:
            problem = self.check_channel(channel, frozenset())
            if problem is not None:
                self.fail(f"{path}.send", f"{channel}: {problem}")
        max_segments, found = parse_max_segments(raw, path, str(channel))
        self.problems(found)
        if isinstance(template, str) and template in self.templates:
            self.problems(template_problems(str(channel), template, self.templates[template], path))
        account = self._account(raw, path, channel)
        coupon = None
        if "coupon" in raw and channel == "social":
            self.fail(f"{path}.coupon", "a social post is public: coupons go to one contact each")
        elif "coupon" in raw:
            coupon, found = parse_coupon_spec(raw["coupon"], f"{path}.coupon")
            self.problems(found)
        if not self._template(template, path, "send"):
            return None
        assert isinstance(template, str)
        return SendStep(
            id=step_id,
            channel=str(channel),
            template=template,
            next=self._target(raw, "next"),
            coupon=coupon,
            max_segments=max_segments,
            account=account,
        )

    def _touch(self, raw: Mapping[str, Any], path: str, step_id: str) -> Step | None:
        return parse_touch(raw, path, step_id, self.templates, self.fail)

    def _account(self, raw: Mapping[str, Any], path: str, channel: Any) -> str | None:
        """A social step names the organisation's account that posts (declared in a calendar)."""
        account = raw.get("account")
        if channel != "social":
            if "account" in raw:
                self.fail(f"{path}.account", "only a social step takes account")
            return None
        if account is None:
            self.fail(f"{path}.account", "is required: the social account that posts")
            return None
        if not isinstance(account, str) or not SLUG.match(account):
            self.fail(f"{path}.account", f"{account!r} must name a social account (see calendars)")
            return None
        problem = self.check_channel.account(channel, account) if self.check_channel else None
        if problem is not None:
            self.fail(f"{path}.account", f"{channel}: {problem}")
        return account

    def _template(self, template: Any, path: str, kind: str) -> bool:
        if not isinstance(template, str):
            where = path if kind == "send" else f"{path}.{kind}.template"
            self.fail(where, f"a {kind} step needs a template")
            return False
        if template not in self.templates:
            where = f"{path}.template" if kind == "send" else f"{path}.{kind}.template"
            self.fail(where, f"template {template!r} is not defined under templates")
        return True

    def _wait_for(self, raw: Mapping[str, Any], path: str, step_id: str) -> Step | None:
        spec, where_path = raw["wait_for"], f"{path}.wait_for"
        if not isinstance(spec, dict):
            self.fail(where_path, "must be a mapping like {event: purchase, timeout: 1d}")
            return None
        for k in spec:
            if k not in ("event", "where", "timeout"):
                self.fail(f"{where_path}.{k}", "unknown key (expected event, where, timeout)")
        event = spec.get("event")
        if not isinstance(event, str) or not SLUG.match(event):
            self.fail(f"{where_path}.event", f"{event!r} must be an event name")
        if "timeout" not in spec:
            self.fail(f"{where_path}.timeout", "is required: how long to wait, like 24h")
            return None
        timeout = self._duration(spec["timeout"], f"{where_path}.timeout")
        where = None
        if "where" in spec:
            where, found = parse_where(spec["where"], f"{where_path}.where")
            self.problems(found)
        if timeout is None or not isinstance(event, str):
            return None
        return WaitForStep(
            id=step_id,
            event=event,
            timeout=timeout,
            where=where,
            then=self._target(raw, "then"),
            otherwise=self._target(raw, "else"),
        )

    def _branch(self, raw: Mapping[str, Any], path: str, step_id: str) -> Step | None:
        condition, found = parse_condition(raw["branch"], f"{path}.branch")
        self.problems(found)
        if "then" not in raw and "else" not in raw:
            self.fail(path, "a branch needs then, else or both (the other goes to the next step)")
        if condition is None:
            return None
        return BranchStep(
            id=step_id,
            condition=condition,
            then=self._target(raw, "then"),
            otherwise=self._target(raw, "else"),
        )

    def _split(self, raw: Mapping[str, Any], path: str, step_id: str) -> Step | None:
        spec, base = raw["split"], f"{path}.split"
        first, self.split_seen = not self.split_seen, True
        winner, listed_at = None, "split"
        if isinstance(spec, dict):  # {variants: [...], winner: {...}}
            for k in spec:
                if k not in ("variants", "winner"):
                    self.fail(f"{base}.{k}", "unknown key (expected variants, winner)")
            if "winner" in spec:
                winner = parse_winner(spec["winner"], f"{base}.winner", self.fail)
                if not first:
                    self.fail(f"{base}.winner", "only the campaign's first split can have one")
            spec, base, listed_at = spec.get("variants"), f"{base}.variants", "split.variants"
        if not isinstance(spec, list) or len(spec) < 2:
            self.fail(base, "must list at least two variants like {name: a, weight: 50}")
            return None
        variants: list[Variant] = []
        for j, item in enumerate(spec):
            variant = self._variant(item, f"{base}[{j}]")
            if variant is not None:
                variants.append(variant)
        names = [v.name for v in variants]
        for name in {n for n in names if names.count(n) > 1}:
            self.fail(base, f"variant {name!r} is named twice")
        if len(variants) != len(spec) or len(set(names)) != len(names):
            return None
        treated = [v for v in variants if not v.holdout]
        if not treated:
            self.fail(base, "every variant is a holdout: nobody would receive anything")
            return None
        if winner is not None and len(treated) < 2:
            self.fail(f"{path}.split.winner", "needs two variants that are not holdouts")
        return SplitStep(id=step_id, variants=tuple(variants), winner=winner, listed_at=listed_at)

    def _variant(self, item: Any, path: str) -> Variant | None:
        if not isinstance(item, dict):
            self.fail(path, "must be a mapping like {name: a, weight: 50, next: offer-a}")
            return None
        for k in item:
            if k not in ("name", "weight", "next", "holdout"):
                self.fail(f"{path}.{k}", "unknown key (expected name, weight, next, holdout)")
        name, weight = item.get("name"), item.get("weight")
        holdout, nxt = item.get("holdout", False), item.get("next")
        ok = True
        if not isinstance(name, str) or not SLUG.match(name):
            self.fail(f"{path}.name", f"{name!r} must be lowercase letters, digits, '-' or '_'")
            ok = False
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 10_000:
            self.fail(f"{path}.weight", f"{weight!r} must be a whole number from 1 to 10000")
            ok = False
        if not isinstance(holdout, bool):
            self.fail(f"{path}.holdout", "must be true or false")
            ok = False
        if nxt is not None and not isinstance(nxt, str):
            self.fail(f"{path}.next", f"{nxt!r} must be a step id")
            ok = False
        if holdout is True and nxt is not None:
            self.fail(f"{path}.next", "a holdout receives nothing; it has no next step")
            ok = False
        if not ok:
            return None
        assert isinstance(name, str) and isinstance(weight, int)
        return Variant(name=name, weight=weight, next=nxt, holdout=bool(holdout))

    def _update(self, raw: Mapping[str, Any], path: str, step_id: str) -> Step | None:
        spec, base = raw["update"], f"{path}.update"
        if not isinstance(spec, dict) or not spec:
            self.fail(base, "must be a mapping with attributes, add_tags or remove_tags")
            return None
        for k in spec:
            if k not in ("attributes", "add_tags", "remove_tags"):
                self.fail(f"{base}.{k}", "unknown key (expected attributes, add_tags, remove_tags)")
        attributes = spec.get("attributes", {})
        if not isinstance(attributes, dict):
            self.fail(f"{base}.attributes", "must be a mapping of name -> value")
            attributes = {}
        for name, value in attributes.items():
            if not isinstance(name, str) or not ATTRIBUTE.match(name):
                self.fail(f"{base}.attributes.{name}", "names are letters, digits and '_'")
            if isinstance(value, dict | list):
                self.fail(f"{base}.attributes.{name}", "must be text, a number, true/false or null")
        tags = {k: self._tags(spec.get(k, []), f"{base}.{k}") for k in ("add_tags", "remove_tags")}
        return UpdateStep(
            id=step_id,
            attributes=dict(attributes),
            add_tags=tags["add_tags"],
            remove_tags=tags["remove_tags"],
            next=self._target(raw, "next"),
        )

    def _tags(self, value: Any, path: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(
            isinstance(t, str) and 0 < len(t.strip()) <= 64 for t in value
        ):
            self.fail(path, "must be a list of tags (text, up to 64 characters)")
            return ()
        return tuple(t.strip() for t in value)

    def _score(self, raw: Mapping[str, Any], path: str, step_id: str) -> Step | None:
        points = raw["score"]
        if isinstance(points, bool) or not isinstance(points, int | float):
            self.fail(f"{path}.score", f"{points!r} must be a number of points (may be negative)")
            return None
        if abs(points) > MAX_POINTS:
            self.fail(f"{path}.score", f"must be between -{MAX_POINTS} and {MAX_POINTS}")
            return None
        return ScoreStep(id=step_id, points=float(points), next=self._target(raw, "next"))

    def _notify(self, raw: Mapping[str, Any], path: str, step_id: str) -> Step | None:
        spec, base = raw["notify"], f"{path}.notify"
        if not isinstance(spec, dict):
            self.fail(base, "must be a mapping like {to: owner, template: hot-lead}")
            return None
        for k in spec:
            if k not in ("to", "template"):
                self.fail(f"{base}.{k}", "unknown key (expected to, template)")
        to = spec.get("to")
        if not isinstance(to, str) or not (to == "owner" or EMAIL.match(to)):
            self.fail(f"{base}.to", f"{to!r} must be owner or an email address")
        template = spec.get("template")
        if not self._template(template, path, "notify") or not isinstance(to, str):
            return None
        assert isinstance(template, str)
        return NotifyStep(id=step_id, to=to, template=template, next=self._target(raw, "next"))

    def _webhook(self, raw: Mapping[str, Any], path: str, step_id: str) -> Step | None:
        spec, base = raw["webhook"], f"{path}.webhook"
        url = spec.get("url") if isinstance(spec, dict) else spec
        if isinstance(spec, dict):
            for k in spec:
                if k != "url":
                    self.fail(f"{base}.{k}", "unknown key (expected url)")
        checked = http_url(url)
        if checked is None:
            self.fail(base, f"{url!r} must be an http(s) URL")
            return None
        return WebhookStep(id=step_id, url=checked, next=self._target(raw, "next"))
