"""A content calendar: the organisation's social accounts and the posts scheduled on them.

Pure values built by ``goteo.engine.social_parser``; ``occurrences`` expands one-off and
recurring posts into the dated, per-account publications the worker publishes once each.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

MAX_OCCURRENCES = 1000  # per post: a recurring post that never ends is refused


@dataclass(frozen=True)
class Account:
    """One account of the organisation. Credentials are named, never written in the file:
    ``credential_env`` is the environment variable holding the token or app password."""

    name: str
    provider: str  # mastodon | bluesky | memory | folder
    locale: str
    handle: str = ""
    server: str = ""  # https://mastodon.example, https://bsky.social
    credential_env: str = ""
    path: str = ""  # folder provider: where posts are written


@dataclass(frozen=True)
class Media:
    file: str  # relative to the calendar document
    alt: Mapping[str, str]  # locale -> alt text


@dataclass(frozen=True)
class Recurrence:
    every: timedelta
    count: int | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Post:
    id: str
    accounts: tuple[str, ...]
    text: Mapping[str, str]  # locale -> text
    start: datetime  # aware; the one-off time, or the first of a recurring post
    recurrence: Recurrence | None = None
    link: str = ""
    media: tuple[Media, ...] = ()


@dataclass(frozen=True)
class Calendar:
    key: str
    name: str
    timezone: str
    accounts: Mapping[str, Account]
    posts: tuple[Post, ...]


@dataclass(frozen=True)
class Occurrence:
    """One publication: this post, on this account, at this time."""

    key: str  # unique: a post is published at most once per account and time
    post: Post
    account: Account
    due_at: datetime  # UTC

    @property
    def text(self) -> str:
        return self.post.text[self.account.locale]

    def alt(self, media: Media) -> str:
        return media.alt[self.account.locale]


def post_times(post: Post, timezone: str) -> Iterator[datetime]:
    """The post's times in UTC. Recurrence steps in the calendar's wall-clock time, so a
    weekly 09:00 post stays at 09:00 across daylight-saving changes."""
    zone = ZoneInfo(timezone)
    local = post.start.astimezone(zone).replace(tzinfo=None)
    rule = post.recurrence
    for n in range(MAX_OCCURRENCES if rule else 1):
        at = (local + n * rule.every if rule else local).replace(tzinfo=zone)
        if rule and rule.count is not None and n >= rule.count:
            return
        if rule and rule.until is not None and at > rule.until:
            return
        yield at.astimezone(ZoneInfo("UTC"))


def occurrence_key(calendar: str, post: str, account: str, at: datetime) -> str:
    return f"{calendar}:{post}:{account}:{at.strftime('%Y%m%dT%H%MZ')}"


def occurrences(calendar: Calendar) -> list[Occurrence]:
    found = []
    for post in calendar.posts:
        for at in post_times(post, calendar.timezone):
            for name in post.accounts:
                key = occurrence_key(calendar.key, post.id, name, at)
                found.append(Occurrence(key, post, calendar.accounts[name], at))
    return sorted(found, key=lambda o: (o.due_at, o.key))
