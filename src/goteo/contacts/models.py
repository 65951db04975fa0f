"""Contacts: the people a campaign reaches."""

from __future__ import annotations

from django.db import models


class ContactStatus(models.TextChoices):
    ACTIVE = "active"
    UNCONFIRMED = "unconfirmed"  # double opt-in not confirmed yet: only the confirmation goes out
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


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
    paused_until = models.DateTimeField(null=True, blank=True)  # preference centre "pause"
    soft_bounces = models.PositiveIntegerField(default=0)
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


class Form(models.Model):
    """A public opt-in form, defined as a document like campaigns (``goteo form apply``)."""

    key = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    source = models.TextField()
    locale = models.CharField(max_length=35, default="en")
    double_opt_in = models.BooleanField(default=True)
    topics = models.JSONField(default=list)
    fields = models.JSONField(default=list)
    redirect_url = models.CharField(max_length=2000, blank=True, default="")
    consent_text = models.ForeignKey(
        "ConsentText", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "goteo_form"


class ConsentText(models.Model):
    """The exact wording a person agreed to; a changed text is a new version, never an edit."""

    form_key = models.CharField(max_length=64)
    version = models.CharField(max_length=64)  # sha256 of the text
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "goteo_consent_text"
        constraints = [
            models.UniqueConstraint(fields=["form_key", "version"], name="uniq_consent_text")
        ]


class Consent(models.Model):
    """Proof of one subscription: who, when, from where, to what wording, and when confirmed."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    form = models.ForeignKey(Form, null=True, on_delete=models.SET_NULL, related_name="+")
    consent_text = models.ForeignKey(
        ConsentText, null=True, on_delete=models.PROTECT, related_name="+"
    )
    topics = models.JSONField(default=list)
    source = models.CharField(max_length=16)  # form, api, import, cli
    ip = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=500, blank=True, default="")
    submitted_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "goteo_consent"


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed"
    HARD_BOUNCE = "hard_bounce"
    SOFT_BOUNCES = "soft_bounces"
    COMPLAINT = "complaint"
    MANUAL = "manual"
    ERASED = "erased"


class Suppression(models.Model):
    """An address that must never be sent to, kept as a hash (it outlives an erased contact)."""

    email_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=16, choices=SuppressionReason.choices)
    detail = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "goteo_suppression"


class ProviderEvent(models.Model):
    """A delivery event reported by a provider (webhook) or a bounce report, raw and normalised."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=32)  # anymail's vocabulary: bounced, complained…
    recipient_hash = models.CharField(max_length=64, blank=True, default="")
    message_id = models.CharField(max_length=255, blank=True, default="")
    contact = models.ForeignKey(Contact, null=True, on_delete=models.SET_NULL, related_name="+")
    delivery_id = models.BigIntegerField(null=True)
    description = models.TextField(blank=True, default="")
    raw = models.JSONField(default=dict)
    occurred_at = models.DateTimeField(null=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "goteo_provider_event"
        constraints = [
            # A replayed webhook is recognised and changes nothing.
            models.UniqueConstraint(fields=["provider", "event_id"], name="uniq_provider_event")
        ]
