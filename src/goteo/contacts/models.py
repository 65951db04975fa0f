"""Contacts: the people a campaign reaches."""

from __future__ import annotations

from django.db import models


class ContactStatus(models.TextChoices):
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"


class Contact(models.Model):
    # Stored normalised (see goteo.contacts.fields.normalize_email): unique case-insensitively.
    email = models.CharField(max_length=320, unique=True)
    first_name = models.CharField(max_length=200, blank=True, default="")
    last_name = models.CharField(max_length=200, blank=True, default="")
    locale = models.CharField(max_length=35, blank=True, default="")
    timezone = models.CharField(max_length=64, blank=True, default="")
    attributes = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=20, choices=ContactStatus.choices, default=ContactStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "goteo_contact"

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class Subscription(models.Model):
    """A contact's membership of a list or topic (``subscribed: <key>`` triggers read it)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="subscriptions")
    topic = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "goteo_subscription"
        constraints = [
            models.UniqueConstraint(fields=["contact", "topic"], name="uniq_subscription")
        ]
