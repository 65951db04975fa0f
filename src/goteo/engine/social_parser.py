"""Turn a content calendar document (YAML or JSON) into a Calendar, or refuse it whole.

Like campaigns: every problem is collected and named by its path and line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from goteo.engine import yamlsource
from goteo.engine.durations import DurationError, parse_duration
from goteo.engine.http_urls import http_url
from goteo.engine.parser import LOCALE, normalize_locale
from goteo.engine.problems import CampaignInvalid, Problem
from goteo.engine.social_model import (
    MAX_OCCURRENCES,
    Account,
    Calendar,
    Media,
    Post,
    Recurrence,
    post_times,
)
from goteo.engine.step_parser import SLUG
from goteo.engine.window import is_valid_zone

# A media file path -> a problem with it (missing, too large, not an image), or None.
MediaCheck = Callable[[str], str | None]

TOP_KEYS = {"key", "name", "description", "timezone", "accounts", "posts"}
ACCOUNT_KEYS = {"provider", "locale", "handle", "server", "token_env", "password_env", "path"}
POST_KEYS = {"id", "account", "accounts", "text", "at", "every", "start", "until", "count"}
POST_KEYS |= {"link", "media"}
# provider -> the key naming its credential's environment variable (None: needs none)
CREDENTIAL_KEY = {"mastodon": "token_env", "bluesky": "password_env", "memory": None}
CREDENTIAL_KEY["folder"] = None
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
MAX_MEDIA = 4


class _CalendarParser:
    def __init__(
        self,
        doc: yamlsource.Located,
        max_length: Mapping[str, int | None],
        media_check: MediaCheck | None,
    ) -> None:
        self.doc = doc
        self.max_length = max_length
        self.media_check = media_check
        self.problems = [Problem(ln, p, m) for p, ln, m in doc.problems]
        self.zone = "UTC"

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.doc.line(path), path, message))

    def unknown(self, data: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for k in data:
            if k not in allowed:
                where = yamlsource.join(path, k)
                self.fail(where, f"unknown key (expected one of: {', '.join(sorted(allowed))})")

    def text(self, data: Mapping[str, Any], key: str, path: str, *, required: bool) -> str | None:
        value, where = data.get(key), yamlsource.join(path, key)
        if value is None:
            if required:
                self.fail(where, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"{value!r} must be non-empty text")
            return None
        return value.strip()

    def parse(self) -> Calendar | None:
        data = self.doc.data
        if data is None and self.problems:
            return None
        if not isinstance(data, dict):
            self.fail("", "a calendar must be a mapping of keys (key, accounts, posts…)")
            return None
        self.unknown(data, TOP_KEYS, "")
        key = self.text(data, "key", "", required=True)
        if key is not None and not SLUG.match(key):
            self.fail("key", f"{key!r} must be lowercase letters, digits, '-' or '_'")
        name = self.text(data, "name", "", required=False) or key or ""
        zone = self.text(data, "timezone", "", required=False) or "UTC"
        if is_valid_zone(zone):
            self.zone = zone
        else:
            self.fail("timezone", f"{zone!r} is not a known time zone")
        accounts = self._accounts(data.get("accounts"))
        posts = self._posts(data.get("posts"), accounts)
        if self.problems or key is None:
            return None
        return Calendar(key, name, self.zone, accounts, tuple(posts))

    def _accounts(self, value: Any) -> dict[str, Account]:
        found: dict[str, Account] = {}
        if not isinstance(value, dict) or not value:
            self.fail("accounts", "is required: a mapping of account name -> provider and locale")
            return found
        for name, spec in value.items():
            path = f"accounts.{name}"
            if not SLUG.match(name):
                self.fail(path, f"{name!r} must be lowercase letters, digits, '-' or '_'")
            if not isinstance(spec, dict):
                self.fail(path, "must be a mapping like {provider: mastodon, locale: en, …}")
                continue
            account = self._account(name, spec, path)
            if account is not None:
                found[name] = account
        return found

    def _account(self, name: str, spec: Mapping[str, Any], path: str) -> Account | None:
        self.unknown(spec, ACCOUNT_KEYS, path)
        provider = self.text(spec, "provider", path, required=True)
        if provider is not None and provider not in CREDENTIAL_KEY:
            known = ", ".join(sorted(CREDENTIAL_KEY))
            self.fail(f"{path}.provider", f"{provider!r} is not a provider ({known})")
            return None
        locale = self._locale(spec.get("locale"), f"{path}.locale")
        if provider is None or locale is None:
            return None
        credential_key = CREDENTIAL_KEY[provider]
        for k in {"token_env", "password_env"} - {credential_key}:
            if k in spec:
                self.fail(f"{path}.{k}", f"is not used by {provider}")
        credential = ""
        if credential_key is not None:
            credential = self.text(spec, credential_key, path, required=True) or ""
            if credential and not ENV_NAME.match(credential):
                self.fail(
                    f"{path}.{credential_key}",
                    f"{credential!r} must name an environment variable (like "
                    "GOTEO_MASTODON_TOKEN); credentials never go in the file",
                )
        server = handle = folder = ""
        if provider in ("mastodon", "bluesky"):
            server = self._server(spec.get("server"), f"{path}.server") or ""
            handle = self.text(spec, "handle", path, required=True) or ""
        elif "server" in spec or "handle" in spec:
            self.fail(path, f"server and handle are not used by {provider}")
        if provider == "folder":
            folder = self.text(spec, "path", path, required=True) or ""
        elif "path" in spec:
            self.fail(f"{path}.path", f"is not used by {provider}")
        return Account(name, provider, locale, handle, server, credential, folder)

    def _server(self, value: Any, path: str) -> str | None:
        url = http_url(value) if isinstance(value, str) else None
        if url is None:
            self.fail(path, f"{value!r} must be the server's address, like https://mastodon.social")
            return None
        return url.rstrip("/")

    def _locale(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not LOCALE.match(normalize_locale(value)):
            self.fail(path, f"{value!r} is not a locale (like en, es, fr-CA)")
            return None
        return normalize_locale(value)

    def _posts(self, value: Any, accounts: Mapping[str, Account]) -> list[Post]:
        if not isinstance(value, list) or not value:
            self.fail("posts", "is required: a non-empty list of posts")
            return []
        posts: list[Post] = []
        seen: dict[str, int] = {}
        for i, raw in enumerate(value):
            path = f"posts[{i}]"
            if not isinstance(raw, dict):
                self.fail(path, "a post must be a mapping with id, accounts, text and at or every")
                continue
            post = self._post(raw, path, accounts)
            if post is None:
                continue
            if post.id in seen:
                self.fail(
                    f"{path}.id", f"duplicate post id {post.id!r} (first at posts[{seen[post.id]}])"
                )
            seen.setdefault(post.id, i)
            posts.append(post)
        return posts

    def _post(
        self, raw: Mapping[str, Any], path: str, accounts: Mapping[str, Account]
    ) -> Post | None:
        self.unknown(raw, POST_KEYS, path)
        post_id = self.text(raw, "id", path, required=True)
        if post_id is not None and not SLUG.match(post_id):
            self.fail(f"{path}.id", f"{post_id!r} must be lowercase letters, digits, '-' or '_'")
        names = self._account_names(raw, path, accounts)
        locales = {accounts[n].locale for n in names}
        text = self._localized(raw.get("text"), f"{path}.text", locales, "text")
        link = ""
        if "link" in raw:
            link = (http_url(raw["link"]) if isinstance(raw["link"], str) else None) or ""
            if not link:
                self.fail(f"{path}.link", f"{raw['link']!r} must be an http(s) address")
        media = self._media(raw.get("media", []), f"{path}.media", locales)
        start, recurrence = self._schedule(raw, path)
        if post_id is None or text is None or start is None or not names:
            return None
        post = Post(post_id, tuple(names), text, start, recurrence, link, media)
        self._lengths(post, accounts, path)
        endless = (
            recurrence is not None and recurrence.count is None and recurrence.until is not None
        )
        if endless and sum(1 for _ in post_times(post, self.zone)) >= MAX_OCCURRENCES:
            self.fail(f"{path}.until", f"makes more than {MAX_OCCURRENCES - 1} posts")
        return post

    def _account_names(
        self, raw: Mapping[str, Any], path: str, accounts: Mapping[str, Account]
    ) -> list[str]:
        if ("account" in raw) == ("accounts" in raw):
            self.fail(path, "a post needs account (one name) or accounts (a list), not both")
            return []
        key = "account" if "account" in raw else "accounts"
        value = raw[key]
        listed = [value] if key == "account" else value
        if not isinstance(listed, list) or not listed:
            self.fail(f"{path}.{key}", "must name one or more accounts declared under accounts")
            return []
        names: list[str] = []
        for j, name in enumerate(listed):
            where = f"{path}.{key}" if key == "account" else f"{path}.{key}[{j}]"
            if not isinstance(name, str) or name not in accounts:
                self.fail(where, f"{name!r} is not an account declared under accounts")
            elif name in names:
                self.fail(where, f"account {name!r} is listed twice")
            else:
                names.append(name)
        return names

    def _localized(
        self, value: Any, path: str, locales: set[str], what: str
    ) -> dict[str, str] | None:
        """``{en: "…", es: "…"}``: one text per locale of the post's accounts."""
        if isinstance(value, str) and len(locales) <= 1 and value.strip():
            return {locale: value.strip() for locale in locales}
        if not isinstance(value, dict) or not value:
            self.fail(path, f"must map each account's locale to its {what} ({{en: …, es: …}})")
            return None
        result: dict[str, str] = {}
        for raw_locale, body in value.items():
            where = f"{path}.{raw_locale}"
            locale = self._locale(raw_locale, where)
            if not isinstance(body, str) or not body.strip():
                self.fail(where, f"{body!r} must be non-empty text")
            elif locale is not None:
                result[locale] = body.strip()
        for locale in sorted(locales - set(result)):
            self.fail(
                path, f"has no {what} for locale {locale!r} (an account of this post uses it)"
            )
        return result if result.keys() >= locales else None

    def _media(self, value: Any, path: str, locales: set[str]) -> tuple[Media, ...]:
        if not isinstance(value, list):
            self.fail(path, "must be a list of {file, alt}")
            return ()
        if len(value) > MAX_MEDIA:
            self.fail(path, f"at most {MAX_MEDIA} media files per post")
        found = []
        for j, item in enumerate(value):
            where = f"{path}[{j}]"
            if not isinstance(item, dict):
                self.fail(where, "must be a mapping {file: …, alt: …}")
                continue
            self.unknown(item, {"file", "alt"}, where)
            file = self.text(item, "file", where, required=True)
            if "alt" not in item:
                self.fail(
                    f"{where}.alt", "is required: describe the image for people who cannot see it"
                )
                continue
            alt = self._localized(item["alt"], f"{where}.alt", locales, "alt text")
            if file is not None and self.media_check is not None:
                problem = self.media_check(file)
                if problem:
                    self.fail(f"{where}.file", problem)
            if file is not None and alt is not None:
                found.append(Media(file, alt))
        return tuple(found)

    def _schedule(
        self, raw: Mapping[str, Any], path: str
    ) -> tuple[datetime | None, Recurrence | None]:
        if ("at" in raw) == ("every" in raw):
            self.fail(path, "a post needs at (one-off) or every (recurring), not both")
            return None, None
        if "at" in raw:
            for k in ("start", "until", "count"):
                if k in raw:
                    self.fail(f"{path}.{k}", "only a recurring post (every) takes it")
            return self._time(raw["at"], f"{path}.at"), None
        every = None
        try:
            every = parse_duration(raw["every"])
        except DurationError as exc:
            self.fail(f"{path}.every", str(exc))
        start = self._time(raw.get("start"), f"{path}.start")
        until = self._time(raw["until"], f"{path}.until") if "until" in raw else None
        count = raw.get("count")
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or not 0 < count < MAX_OCCURRENCES
        ):
            self.fail(
                f"{path}.count", f"{count!r} must be a whole number from 1 to {MAX_OCCURRENCES - 1}"
            )
            count = None
        if "count" not in raw and "until" not in raw:
            self.fail(path, "a recurring post needs until (a date) or count (how many times)")
        if start is not None and until is not None and until < start:
            self.fail(f"{path}.until", "is before start")
        if every is None or start is None:
            return None, None
        return start, Recurrence(every, count, until)

    def _time(self, value: Any, path: str) -> datetime | None:
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                value = None
        if not isinstance(value, datetime):
            self.fail(
                path, "must be a date and time like 2026-03-02 10:00 (the calendar's time zone)"
            )
            return None
        return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(self.zone))

    def _lengths(self, post: Post, accounts: Mapping[str, Account], path: str) -> None:
        for name in post.accounts:
            account = accounts[name]
            limit = self.max_length.get(account.provider)
            body = post_body(post.text[account.locale], post.link)
            if limit is not None and len(body) > limit:
                self.fail(
                    f"{path}.text.{account.locale}",
                    f"is {len(body)} characters with its link; {account.provider} allows {limit}",
                )


def post_body(text: str, link: str) -> str:
    """What is published: the text, then the link on its own line."""
    return f"{text}\n\n{link}" if link else text


def parse_calendar(
    text: str,
    max_length: Mapping[str, int | None] | None = None,
    media_check: MediaCheck | None = None,
) -> Calendar:
    """Parse and validate; raise CampaignInvalid naming every problem."""
    parser = _CalendarParser(yamlsource.load(text), max_length or {}, media_check)
    calendar = parser.parse()
    if calendar is None or parser.problems:
        raise CampaignInvalid(parser.problems or [Problem(None, "", "invalid calendar")])
    return calendar
