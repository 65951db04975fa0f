"""Read models for the calendars: what ``goteo social list`` shows."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Min, Q

from goteo.social.models import PostStatus, PublishedPost, SocialCalendar


def calendar_rows() -> list[dict[str, Any]]:
    calendars = (
        SocialCalendar.objects.select_related("current_version")
        .annotate(
            scheduled=Count("posts", filter=Q(posts__status=PostStatus.SCHEDULED)),
            n_published=Count("posts", filter=Q(posts__status=PostStatus.PUBLISHED)),
            failed=Count("posts", filter=Q(posts__status=PostStatus.FAILED)),
            missed=Count("posts", filter=Q(posts__status=PostStatus.MISSED)),
            next_due=Min("posts__due_at", filter=Q(posts__status=PostStatus.SCHEDULED)),
        )
        .order_by("key")
    )
    return [
        {
            "key": c.key,
            "name": c.name,
            "version": c.current_version.number if c.current_version else None,
            "accounts": sorted(c.accounts.values_list("name", flat=True)),
            "scheduled": c.scheduled,
            "published": c.n_published,
            "failed": c.failed,
            "missed": c.missed,
            "next_due": c.next_due.isoformat() if c.next_due else None,
        }
        for c in calendars
    ]


def published_posts(limit: int) -> list[dict[str, Any]]:
    """The newest published calendar posts: account, text, link, address, time."""
    rows = PublishedPost.objects.select_related("scheduled").order_by("-published_at", "-id")
    return [
        {
            "account": p.account,
            "provider": p.provider,
            "text": p.text,
            "link": str(p.scheduled.payload.get("link") or ""),
            "url": p.url,
            "published_at": p.published_at,
            "calendar_post": p.scheduled.post_id,
        }
        for p in rows[:limit]
    ]
