"""Publish the content calendars' due posts, each at most once.

A due post is claimed with a lease and marked "publishing" in its own committed transaction
before the provider is called: that mark is what tells a later attempt that the provider may
already have the post. Each result is recorded as soon as it is known; a published post is a
row with a one-to-one link to its scheduled post, so it is recorded once whatever happens.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef

from goteo.channels.base import Delivered, Permanent, Result, Retryable
from goteo.channels.social import provider_for
from goteo.channels.social.base import MediaFile, Published, SocialPost
from goteo.channels.social.channel import account_of
from goteo.social.models import PostStatus, PublishedPost, ScheduledPost, SocialAccount, SocialMedia
from goteo.worker.backoff import MAX_ATTEMPTS, retry_delay
from goteo.worker.claims import _claim

log = logging.getLogger(__name__)

DUE = (PostStatus.SCHEDULED, PostStatus.PUBLISHING)


def claim_posts(owner: str, now: datetime, limit: int, lease_seconds: float) -> list[int]:
    """Claim due posts and mark them publishing; each claim counts as an attempt."""
    due = ScheduledPost.objects.filter(
        status__in=DUE, next_attempt_at__lte=now, lease_until__lt=time.time()
    ).order_by("next_attempt_at", "id")
    extra = {"attempts": F("attempts") + 1, "status": PostStatus.PUBLISHING}
    return _claim(due, time.time(), owner, limit, lease_seconds, **extra)


def skip_missed(now: datetime) -> int:
    """Occurrences of a recurring post that were never attempted and whose next occurrence on
    the same account is due as well become ``missed``: after a stop, a calendar goes on from
    its newest due occurrence instead of posting every one it missed at once (as a calendar
    applied late skips the posts already past). An occurrence already attempted may be on the
    provider, so it is always finished. Returns how many were skipped."""
    later = ScheduledPost.objects.filter(
        calendar_id=OuterRef("calendar_id"),
        post_id=OuterRef("post_id"),
        account=OuterRef("account"),
        due_at__gt=OuterRef("due_at"),
        due_at__lte=now,
    ).exclude(status=PostStatus.CANCELLED)
    missed = ScheduledPost.objects.filter(
        Exists(later),
        status=PostStatus.SCHEDULED,  # a worker's claim makes it publishing: then it stays
        attempts=0,
        next_attempt_at__lte=now,
    )
    return missed.update(
        status=PostStatus.MISSED,
        last_error="missed: a later occurrence of this post was due too",
    )


def publish_due_posts(owner: str, now: datetime, limit: int = 20, lease: float = 120.0) -> int:
    """One pass: skip what was missed, claim the due posts, publish each and record its
    result. Returns posts done."""
    skip_missed(now)
    ids = claim_posts(owner, now, limit, lease)
    for row in ScheduledPost.objects.filter(id__in=ids, lease_owner=owner).order_by("id"):
        try:
            result = publish(row)
        except Exception as exc:  # a provider library failing oddly must not stop the worker
            log.exception("social post %s: the provider failed unexpectedly", row.key)
            result = Retryable(row.id, f"{type(exc).__name__}: {exc}")
        record(row.id, owner, now, result)
    return len(ids)


def social_post(row: ScheduledPost) -> SocialPost | None:
    """What the provider is given; None if the account is gone."""
    account = SocialAccount.objects.filter(name=row.account).first()
    if account is None:
        return None
    items = row.payload["media"]
    stored = SocialMedia.objects.filter(sha256__in=[i["sha256"] for i in items])
    media = {m.sha256: m for m in stored}
    files = tuple(
        MediaFile(m.filename, m.mime_type, bytes(m.content), i["alt"])
        for i in items
        if (m := media.get(i["sha256"])) is not None
    )
    return SocialPost(
        delivery_id=row.id,
        key=row.key,
        account=account_of(account),
        text=row.payload["text"],
        locale=row.payload["locale"],
        scheduled_for=row.due_at,
        media=files,
        link=row.payload["link"],
        attempt=row.attempts,
    )


def publish(row: ScheduledPost) -> Result:
    post = social_post(row)
    if post is None:
        return Permanent(row.id, f"account {row.account!r} is no longer declared by a calendar")
    if row.attempts > MAX_ATTEMPTS:
        return Permanent(row.id, f"gave up after {MAX_ATTEMPTS} attempts")
    provider = provider_for(post.account.provider, Path(settings.DATA_DIR))
    return provider.deliver(post)


def record(post_id: int, owner: str, now: datetime, result: Result) -> None:
    with transaction.atomic():
        row = (
            ScheduledPost.objects.select_for_update().filter(id=post_id, lease_owner=owner).first()
        )
        if row is None:
            return  # the lease ran out and another worker has it
        row.lease_owner, row.lease_until = "", 0
        if isinstance(result, Delivered):
            published = (
                result if isinstance(result, Published) else Published(post_id, result.detail)
            )
            PublishedPost.objects.get_or_create(
                scheduled=row,
                defaults={
                    "calendar_id": row.calendar_id,
                    "account": row.account,
                    "provider": row.payload.get("provider", ""),
                    "provider_id": published.provider_id,
                    "url": published.url,
                    "text": row.payload["text"],
                    "published_at": now,
                },
            )
            row.status, row.last_error = PostStatus.PUBLISHED, ""
        elif isinstance(result, Retryable) and row.attempts < MAX_ATTEMPTS:
            # Stays "publishing": the next attempt first looks for the post on the provider.
            row.next_attempt_at = now + retry_delay(row.attempts)
            row.last_error = result.reason
        else:
            row.status, row.last_error = PostStatus.FAILED, result.reason
            log.warning("social post %s failed: %s", row.key, result.reason)
        row.save()
