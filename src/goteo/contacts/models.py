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
    # E.164 (goteo.contacts.phones); SMS needs it and the contact's own SMS consent.
    phone = models.CharField(max_length=16, blank=True, default="", db_default="")
    # "", granted or withdrawn (goteo.contacts.channel_consent); the proof is in ChannelConsent.
    sms_consent = models.CharField(max_length=16, blank=True, default="", db_default="")
    attributes = models.JSONField(default=dict, blank=True)
    # Checked per country (goteo.contacts.postal): name, lines, city, postal_code, region,
    # country; empty when unknown.
    postal_address = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=20, choices=ContactStatus.choices, default=ContactStatus.ACTIVE
    )
    paused_until = models.DateTimeField(null=True, blank=True)  # preference centre "pause"
    soft_bounces = models.PositiveIntegerField(default=0)
    tags = models.JSONField(default=list, blank=True)
    # Lead scoring: the decayed score as of score_updated_at, and the hand-off to sales.
    score = models.FloatField(default=0)
    score_updated_at = models.DateTimeField(null=True, blank=True)
    owner = models.CharField(max_length=320, blank=True, default="")  # the salesperson's email
    hot_at = models.DateTimeField(null=True, blank=True)  # when the score crossed the threshold
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "goteo_contact"
        # The worker's decay tick reads only the hot leads.
        indexes = [
            models.Index(
                fields=["hot_at"], condition=models.Q(hot_at__isnull=False), name="contact_hot"
            ),
            # Inbound SMS (STOP, START) find their contacts by number.
            models.Index(fields=["phone"], name="contact_phone"),
        ]

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


class ChannelConsent(models.Model):
    """One change to a contact's consent for a channel other than email (today: sms), with its
    proof: granted (where, when, the words shown, from which address) or withdrawn (when, and
    how: a STOP keyword with the provider's message id, the API, the preference centre)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="channel_consents")
    channel = models.CharField(max_length=16)  # sms
    status = models.CharField(max_length=16)  # granted | withdrawn
    source = models.CharField(max_length=16)  # form, api, preferences, sms (a keyword)
    text = models.TextField(blank=True, default="")  # the wording shown, or the keyword sent
    ip = models.GenericIPAddressField(null=True)
    proof = models.CharField(max_length=64, blank=True, default="")  # e.g. the message SID
    at = models.DateTimeField()

    class Meta:
        db_table = "goteo_channel_consent"
        indexes = [models.Index(fields=["contact", "channel", "at"], name="channel_consent_at")]


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


class Event(models.Model):
    """Something a contact (or a not-yet-identified visitor) did: page_view, purchase, clicked.

    ``idempotency_key`` is unique: the same key sent twice stores one event and fires one
    trigger. Events of an anonymous visitor carry ``anonymous_id`` and no contact until the
    visitor is identified; then they are merged into the contact.
    """

    contact = models.ForeignKey(Contact, null=True, on_delete=models.CASCADE, related_name="events")
    anonymous_id = models.CharField(max_length=64, blank=True, default="")
    name = models.CharField(max_length=64)
    properties = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=200, null=True, unique=True)
    source = models.CharField(max_length=16, default="api")  # api, tracking, email, mail, system
    delivery_id = models.BigIntegerField(null=True)  # for opened and clicked: which message

    class Meta:
        db_table = "goteo_event"
        indexes = [
            models.Index(fields=["contact", "name", "occurred_at"], name="event_contact_name"),
            models.Index(fields=["anonymous_id"], name="event_anonymous"),
        ]


class Visitor(models.Model):
    """An anonymous website visitor (the tracking cookie), and who it turned out to be."""

    anonymous_id = models.CharField(max_length=64, unique=True)
    contact = models.ForeignKey(
        Contact, null=True, on_delete=models.CASCADE, related_name="visitors"
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    identified_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "goteo_visitor"


class ApiKey(models.Model):
    """A key for the REST API: only its SHA-256 is stored; scopes limit what it may do."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)  # shown in listings, never the key
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)  # e.g. ["events:write", "contacts:read"]
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True)
    revoked_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "goteo_api_key"


class ScoreEntry(models.Model):
    """One change to a contact's lead score, and why (a rule, a campaign step, a manual edit)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="score_entries")
    points = models.FloatField()
    reason = models.CharField(max_length=200)
    event = models.ForeignKey(Event, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "goteo_score_entry"
        indexes = [models.Index(fields=["contact", "created_at"], name="score_contact")]


class ContactImport(models.Model):
    """A CSV import started in the web app: its file, column mapping, progress and report.

    The web process that received the file runs it in a thread of its own and writes its
    progress here as it goes, so the page can poll for it after the upload's request ended
    (goteo.actions.import_jobs).
    """

    status = models.CharField(max_length=16)  # mapping, running, done, failed
    file_name = models.CharField(max_length=255)
    path = models.CharField(max_length=1024)  # the uploaded file under GOTEO_DATA_DIR/imports
    headers = models.JSONField(default=list)
    columns = models.JSONField(default=dict)  # header -> field, attribute name, or "" (skip)
    total = models.PositiveIntegerField(default=0)  # data lines of the file (an estimate)
    done = models.PositiveIntegerField(default=0)  # rows read so far
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)  # [[line, message], …], repeats included
    rejected = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True, default="")  # why a failed import stopped
    actor = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()  # the last progress written: a stale one was interrupted
    finished_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "goteo_contact_import"
