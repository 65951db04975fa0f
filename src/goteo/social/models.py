"""Content calendars and the posts they schedule.

A calendar version is never edited: applying a changed document stores the next number. Each
scheduled post (one post, one account, one time) has a unique key, and a published post is a
row of its own with a one-to-one link to it, so a post is recorded as published at most once.
"""

from __future__ import annotations

from django.db import models


class SocialCalendar(models.Model):
    key = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    current_version = models.ForeignKey(
        "SocialCalendarVersion", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "goteo_social_calendar"

    def __str__(self) -> str:
        return self.key


class SocialCalendarVersion(models.Model):
    calendar = models.ForeignKey(SocialCalendar, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    source = models.TextField()
    checksum = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "goteo_social_calendar_version"
        constraints = [
            models.UniqueConstraint(fields=["calendar", "number"], name="uniq_social_version")
        ]


class SocialAccount(models.Model):
    """An account of the organisation, declared by one calendar; campaigns name it too."""

    name = models.CharField(max_length=64, unique=True)
    calendar = models.ForeignKey(SocialCalendar, on_delete=models.CASCADE, related_name="accounts")
    provider = models.CharField(max_length=16)
    locale = models.CharField(max_length=35)
    settings = models.JSONField(default=dict)  # handle, server, credential_env, path: no secrets

    class Meta:
        db_table = "goteo_social_account"


class SocialMedia(models.Model):
    """A media file, stored once by content, so any worker machine can publish it."""

    sha256 = models.CharField(max_length=64, unique=True)
    filename = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=100)
    content = models.BinaryField()

    class Meta:
        db_table = "goteo_social_media"


class PostStatus(models.TextChoices):
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"  # an attempt started: the provider may already have the post
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"  # a later version of the calendar no longer has it
    # Never attempted, and a later occurrence of the same recurring post on the same account
    # was due by the time the worker came to it (the worker was stopped, or behind)
    MISSED = "missed"


class ScheduledPost(models.Model):
    """One occurrence: a post, on one account, at one time, with what it will say."""

    key = models.CharField(max_length=255, unique=True)
    calendar = models.ForeignKey(
        SocialCalendar, null=True, on_delete=models.CASCADE, related_name="posts"
    )
    version = models.ForeignKey(SocialCalendarVersion, null=True, on_delete=models.PROTECT)
    post_id = models.CharField(max_length=64)
    account = models.CharField(max_length=64)
    due_at = models.DateTimeField()
    # {"text", "link", "locale", "media": [{"sha256", "alt"}]}
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=PostStatus.choices, default=PostStatus.SCHEDULED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_until = models.FloatField(default=0)  # wall-clock epoch seconds
    last_error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "goteo_social_post"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="social_post_due")]


class PublishedPost(models.Model):
    scheduled = models.OneToOneField(
        ScheduledPost, on_delete=models.CASCADE, related_name="published"
    )
    calendar = models.ForeignKey(
        SocialCalendar, null=True, on_delete=models.CASCADE, related_name="published"
    )
    account = models.CharField(max_length=64)
    provider = models.CharField(max_length=16)
    provider_id = models.CharField(max_length=255)
    url = models.URLField(max_length=1000, blank=True, default="")
    text = models.TextField()
    published_at = models.DateTimeField()

    class Meta:
        db_table = "goteo_social_published"
        indexes = [models.Index(fields=["calendar", "published_at"], name="social_published_feed")]
