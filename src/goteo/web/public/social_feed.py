"""``/feeds/<calendar>.atom``: an Atom feed of a calendar's published posts (feedgen).

Public and cookie-free: it shows only what the accounts already published. Each entry's id is
the post's own address where the provider gave one (stable: a post is published once), and its
``updated`` is the time it was published.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from feedgen.feed import FeedGenerator

from goteo.social.models import PublishedPost, SocialCalendar

ENTRIES = 100


@require_GET
def calendar_feed(request: HttpRequest, key: str) -> HttpResponse:
    calendar = SocialCalendar.objects.filter(key=key).first()
    if calendar is None:
        raise Http404("no such calendar")
    posts = list(
        PublishedPost.objects.filter(calendar=calendar)
        .select_related("scheduled")
        .order_by("-published_at", "-id")[:ENTRIES]
    )
    self_url = f"{settings.BASE_URL}/feeds/{key}.atom"
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(calendar.name or calendar.key)
    feed.link(href=self_url, rel="self")
    feed.author({"name": calendar.name or calendar.key})
    feed.updated(posts[0].published_at if posts else calendar.created_at)
    for post in reversed(posts):  # feedgen lists entries newest first
        entry = feed.add_entry()
        entry.id(post.url or f"urn:goteo:social:{post.scheduled.key}")
        entry.title(post.text.splitlines()[0][:120] if post.text else post.account)
        entry.content(post.text, type="text")
        entry.updated(post.published_at)
        entry.published(post.published_at)
        entry.author({"name": post.account})
        if post.url.startswith(("http://", "https://")):
            entry.link(href=post.url, rel="alternate")
    return HttpResponse(feed.atom_str(pretty=True), content_type="application/atom+xml")
