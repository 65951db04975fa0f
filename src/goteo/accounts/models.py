"""The audit log and failed sign-ins. Users and their roles are Django's own (``auth``)."""

from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    """One change: who made it, when, what, and the values before and after (JSON)."""

    at = models.DateTimeField()
    actor = models.CharField(max_length=200)  # "user:ana@example.com", "cli", "api:gt_1a2b"
    action = models.CharField(max_length=64)  # "campaign.pause", "contact.upsert", …
    target = models.CharField(max_length=320)  # the campaign key, the address, the prefix
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)

    class Meta:
        db_table = "goteo_audit_entry"
        indexes = [models.Index(fields=["at"], name="audit_at")]


class FailedLogin(models.Model):
    """A failed sign-in, counted per address and per username for the rate limit."""

    at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True)
    username = models.CharField(max_length=254)

    class Meta:
        db_table = "goteo_failed_login"
        indexes = [
            models.Index(fields=["ip", "at"], name="failed_login_ip"),
            models.Index(fields=["username", "at"], name="failed_login_user"),
        ]
