"""Content calendar writes: apply a document (a new immutable version and its schedule).

Applying stores the version, the accounts it declares, its media files (by content, so any
worker machine can publish them) and one scheduled post per post, account and time. Posts
already published or being published are never touched; scheduled posts a new version drops
are cancelled; times already past when the calendar is applied are skipped, never published
late in a burst.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction

from goteo.campaigns.versions import checksum
from goteo.channels.social import MAX_LENGTH
from goteo.engine import yamlsource
from goteo.engine.problems import CampaignInvalid, Problem
from goteo.engine.social_model import Calendar, Occurrence, occurrences
from goteo.engine.social_parser import MediaCheck, parse_calendar, post_body
from goteo.social.models import (
    PostStatus,
    ScheduledPost,
    SocialAccount,
    SocialCalendar,
    SocialCalendarVersion,
    SocialMedia,
)

MAX_MEDIA_BYTES = 8 * 1024 * 1024
MEDIA_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
OPEN = (PostStatus.SCHEDULED, PostStatus.CANCELLED, PostStatus.FAILED)


@dataclass(frozen=True)
class Applied:
    calendar: SocialCalendar
    version: SocialCalendarVersion
    outcome: str  # "created", "new version" or "unchanged"
    scheduled: int  # posts waiting for their time
    cancelled: int  # scheduled posts this version no longer has
    skipped: int  # times already past when applied


def media_checker(base_dir: Path) -> MediaCheck:
    def check(file: str) -> str | None:
        path = base_dir / file
        mime = mimetypes.guess_type(path.name)[0]
        if mime not in MEDIA_TYPES:
            return f"{file!r} must be an image ({', '.join(t[6:] for t in MEDIA_TYPES)})"
        if not path.is_file():
            return f"{file!r} does not exist (paths are relative to the calendar file)"
        if path.stat().st_size > MAX_MEDIA_BYTES:
            return f"{file!r} is larger than {MAX_MEDIA_BYTES // (1024 * 1024)} MB"
        return None

    return check


def check_calendar(source: str, base_dir: Path) -> Calendar:
    """Parse and validate (raising CampaignInvalid with every problem), media files included;
    an account another calendar declares is refused too."""
    calendar = parse_calendar(source, MAX_LENGTH, media_checker(base_dir))
    taken = SocialAccount.objects.filter(name__in=list(calendar.accounts)).exclude(
        calendar__key=calendar.key
    )
    problems = [
        Problem(
            yamlsource.load(source).line(f"accounts.{a.name}"),
            f"accounts.{a.name}",
            f"is already declared by calendar {a.calendar.key!r}",
        )
        for a in taken.select_related("calendar")
    ]
    if problems:
        raise CampaignInvalid(problems)
    return calendar


def do_apply_calendar(source: str, base_dir: Path, now: datetime) -> Applied:
    calendar = check_calendar(source, base_dir)
    digest = checksum(source)
    media = _read_media(calendar, base_dir)
    with transaction.atomic():
        row = SocialCalendar.objects.select_for_update().filter(key=calendar.key).first()
        created = row is None
        row = row or SocialCalendar(key=calendar.key)
        current = row.current_version
        if current is not None and current.checksum == digest:
            waiting = row.posts.filter(status=PostStatus.SCHEDULED).count()
            return Applied(row, current, "unchanged", waiting, 0, 0)
        row.name = calendar.name
        row.save()
        number = current.number + 1 if current is not None else 1
        version = SocialCalendarVersion.objects.create(
            calendar=row, number=number, source=source, checksum=digest
        )
        row.current_version = version
        row.save(update_fields=["current_version"])
        _save_accounts(row, calendar)
        for sha, filename, mime, content in media.values():
            SocialMedia.objects.get_or_create(
                sha256=sha, defaults={"filename": filename, "mime_type": mime, "content": content}
            )
        scheduled, cancelled, skipped = _schedule(row, version, calendar, media, now)
    outcome = "created" if created else "new version"
    return Applied(row, version, outcome, scheduled, cancelled, skipped)


# file as written in the calendar -> (sha256, file name, MIME type, content)
MediaFiles = dict[str, tuple[str, str, str, bytes]]


def _read_media(calendar: Calendar, base_dir: Path) -> MediaFiles:
    found: MediaFiles = {}
    for post in calendar.posts:
        for item in post.media:
            content = (base_dir / item.file).read_bytes()
            mime = mimetypes.guess_type(item.file)[0] or "application/octet-stream"
            sha = hashlib.sha256(content).hexdigest()
            found[item.file] = (sha, Path(item.file).name, mime, content)
    return found


def _save_accounts(row: SocialCalendar, calendar: Calendar) -> None:
    row.accounts.exclude(name__in=list(calendar.accounts)).delete()
    for a in calendar.accounts.values():
        settings = {
            "handle": a.handle,
            "server": a.server,
            "credential_env": a.credential_env,
            "path": a.path,
        }
        SocialAccount.objects.update_or_create(
            name=a.name,
            defaults={
                "calendar": row,
                "provider": a.provider,
                "locale": a.locale,
                "settings": settings,
            },
        )


def _payload(o: Occurrence, media: MediaFiles) -> dict[str, Any]:
    return {
        "text": post_body(o.text, o.post.link),
        "link": o.post.link,
        "locale": o.account.locale,
        "provider": o.account.provider,
        "media": [{"sha256": media[m.file][0], "alt": o.alt(m)} for m in o.post.media],
    }


def _schedule(
    row: SocialCalendar,
    version: SocialCalendarVersion,
    calendar: Calendar,
    media: MediaFiles,
    now: datetime,
) -> tuple[int, int, int]:
    existing = {p.key: p for p in row.posts.all()}
    keep: set[str] = set()
    skipped = 0
    for o in occurrences(calendar):
        if o.due_at < now - timedelta(minutes=5):
            skipped += 1
            continue
        keep.add(o.key)
        payload = _payload(o, media)
        post = existing.get(o.key)
        if post is None:
            ScheduledPost.objects.create(
                key=o.key,
                calendar=row,
                version=version,
                post_id=o.post.id,
                account=o.account.name,
                due_at=o.due_at,
                payload=payload,
                next_attempt_at=o.due_at,
            )
        elif post.status in OPEN:
            post.version, post.payload, post.status = version, payload, PostStatus.SCHEDULED
            post.attempts, post.last_error, post.next_attempt_at = 0, "", o.due_at
            post.save()
    dropped = [k for k, p in existing.items() if p.status == PostStatus.SCHEDULED and k not in keep]
    cancelled = ScheduledPost.objects.filter(key__in=dropped).update(status=PostStatus.CANCELLED)
    waiting = row.posts.filter(status=PostStatus.SCHEDULED).count()
    return waiting, cancelled, skipped
