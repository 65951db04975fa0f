"""Campaigns, their immutable versions, enrollments (journeys) and deliveries (the outbox).

Every per-contact table carries ``contact_id`` and the hot queries filter on it, so the store
can later be distributed by contact.
"""

from __future__ import annotations

from django.db import models

from goteo.contacts.models import Contact


class CampaignStatus(models.TextChoices):
    ACTIVE = "active"
    PAUSED = "paused"


class Campaign(models.Model):
    key = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE
    )
    status_reason = models.CharField(max_length=200, blank=True, default="")
    current_version = models.ForeignKey(
        "CampaignVersion", null=True, on_delete=models.PROTECT, related_name="+"
    )
    trigger_kind = models.CharField(max_length=32, default="manual")
    trigger_value = models.CharField(max_length=64, blank=True, default="")
    priority = models.IntegerField(default=0)  # higher goes first under a frequency cap
    # The seed addresses of the last test send, offered again next time.
    test_seeds = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "goteo_campaign"

    def __str__(self) -> str:
        return self.key


class CampaignVersion(models.Model):
    """One applied document. Never edited: applying a change creates the next number."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    source = models.TextField()
    checksum = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "goteo_campaign_version"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="uniq_campaign_version")
        ]


class SplitDecision(models.Model):
    """A split that was decided: new arrivals go to ``variant`` (docs/flows.md). Written once
    per campaign and split step, by the auto-winner rule or by hand; never changed."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="decisions")
    step_id = models.CharField(max_length=64)
    variant = models.CharField(max_length=64)
    decided_at = models.DateTimeField()
    decided_by = models.CharField(max_length=200)  # "rule", or who picked it (user:…, cli)
    metric = models.CharField(max_length=16)  # converted | clicked | opened
    p_value = models.FloatField(null=True)  # the largest against the other variants
    confidence = models.FloatField(null=True)
    figures = models.JSONField(default=list)  # per variant: name, journeys, successes, rate, p
    reason = models.CharField(max_length=500)

    class Meta:
        db_table = "goteo_split_decision"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "step_id"], name="uniq_split_decision")
        ]


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active"
    COMPLETED = "completed"
    EXITED = "exited"
    CONVERTED = "converted"  # reached the campaign's goal


class Enrollment(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="enrollments")
    # Indexed by the indexes below that begin with it.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="enrollments", db_index=False
    )
    version = models.ForeignKey(CampaignVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    state = models.JSONField()
    due_at = models.DateTimeField(null=True)
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_until = models.FloatField(default=0)  # wall-clock epoch seconds, never virtual time
    enrolled_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True)
    end_reason = models.CharField(max_length=200, blank=True, default="")
    # The A/B/n group of the campaign's first split ("holdout" receives nothing), for lift.
    variant = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        db_table = "goteo_enrollment"
        indexes = [
            models.Index(fields=["status", "due_at"], name="enrollment_due"),
            # The campaign list's journeys in flight and enrolled, read from the index alone.
            models.Index(fields=["campaign", "status"], name="enrollment_campaign_status"),
            # A campaign's journeys for its reports, read from the index alone: its contacts
            # in order (distinct contacts without sorting), their groups and when they began.
            models.Index(
                fields=["campaign", "contact", "variant", "enrolled_at"],
                name="enrollment_campaign_contact",
            ),
        ]
        constraints = [
            # At most one journey in flight per contact and campaign.
            models.UniqueConstraint(
                fields=["contact", "campaign"],
                condition=models.Q(status="active"),
                name="uniq_active_enrollment",
            )
        ]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class Delivery(models.Model):
    """One outgoing message: written with the step that produced it, sent after commit."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="deliveries")
    # Marketing messages come from a campaign step; transactional ones (the double opt-in
    # confirmation) have neither and are never paced, capped or held by a pause.
    enrollment = models.ForeignKey(
        Enrollment, null=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    campaign = models.ForeignKey(  # indexed by delivery_campaign_figures, below
        Campaign, null=True, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    kind = models.CharField(max_length=16, default="marketing")  # marketing | transactional
    context = models.JSONField(default=dict, blank=True)  # values a transactional template uses
    step_id = models.CharField(max_length=64)
    channel = models.CharField(max_length=16)
    template = models.CharField(max_length=64)
    locale = models.CharField(max_length=35)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_until = models.FloatField(default=0)
    # In flight: checked by the gate and handed to its channel, result not yet recorded. Until
    # this wall-clock time (the claim's lease) an unsubscribe waits for the record
    # (docs/delivery-guarantees.md); 0 when not in flight.
    in_flight_until = models.FloatField(default=0, db_default=0)
    to_address = models.CharField(max_length=320, blank=True, default="")
    subject = models.CharField(max_length=998, blank=True, default="")
    message_id = models.CharField(max_length=255, blank=True, default="")
    # The provider's own id for the message (a Twilio SID), and what it reported afterwards:
    # delivered, failed or undelivered (docs/sms.md).
    provider_message_id = models.CharField(max_length=64, blank=True, default="", db_default="")
    receipt = models.CharField(max_length=16, blank=True, default="", db_default="")
    receipt_at = models.DateTimeField(null=True)
    # The parts an SMS went as (each billed as one message); 0 for other channels.
    segments = models.PositiveSmallIntegerField(default=0, db_default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True)
    # Mailers: the day the provider expects it in the home (docs/direct-mail.md).
    expected_in_home = models.DateField(null=True, blank=True)
    # Mailers: what it cost, in the price list's currency (docs/direct-mail.md#the-postage-
    # budget). Set when the gate lets it go, with the mark in flight; kept when it is sent,
    # cleared by any other outcome. A pending row that carries it may have been printed (its
    # worker died between the hand-over and the record): the budget counts it.
    postage = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    # Tracking: the links of the sent message, in order (a click token names an index here,
    # so a redirect can only ever go to a URL this message contained), and engagement.
    links = models.JSONField(default=list, blank=True)
    opened_at = models.DateTimeField(null=True)
    clicked_at = models.DateTimeField(null=True)
    opens = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "goteo_delivery"
        indexes = [
            # The claim's order (worker/claims.py): due messages first, then by id, read from
            # the index in that order (without the id, PostgreSQL sorts every due row).
            models.Index(fields=["status", "next_attempt_at", "id"], name="delivery_due"),
            # The unsubscribe's wait for its contact's messages in flight.
            models.Index(
                fields=["contact", "in_flight_until"],
                condition=models.Q(in_flight_until__gt=0),
                name="delivery_in_flight",
            ),
            models.Index(
                fields=["provider_message_id"],
                condition=~models.Q(provider_message_id=""),
                name="delivery_provider_id",
            ),
            # Results over time (campaigns/time_series.py) and the dashboard, per day.
            # Each covers its query (the channel is read from the index itself).
            models.Index(fields=["status", "sent_at", "channel"], name="delivery_sent_day"),
            models.Index(
                fields=["opened_at", "channel"],
                condition=models.Q(opened_at__isnull=False),
                name="delivery_opened_day",
            ),
            models.Index(
                fields=["clicked_at", "channel"],
                condition=models.Q(clicked_at__isnull=False),
                name="delivery_clicked_day",
            ),
            # A campaign's figures (the report, its steps, the funnel, its days), read from
            # the index alone: never the messages' wide rows.
            models.Index(
                fields=[
                    "campaign",
                    "status",
                    "sent_at",
                    "channel",
                    "contact",
                    "opened_at",
                    "clicked_at",
                    "opens",
                    "clicks",
                    "step_id",
                    "created_at",
                ],
                name="delivery_campaign_figures",
            ),
            # A campaign's postage spend (campaigns/postage_spend.py), read at each mailer.
            models.Index(
                fields=["campaign", "status", "postage"],
                condition=models.Q(postage__isnull=False),
                name="delivery_postage",
            ),
        ]
        constraints = [
            # A step runs at most once per enrollment: the outbox refuses a second row.
            models.UniqueConstraint(fields=["enrollment", "step_id"], name="uniq_delivery_step")
        ]


class Exposure(models.Model):
    """One touch that put the product in front of a contact: recorded once (the ledger).

    ``dedupe_key`` names the touch (``d:<delivery id>`` for a message, ``v:<event id>`` for a
    page visit, ``q:<delivery id>`` for a mailer's QR visit) and is unique per contact, so a
    retried or replayed recording never counts twice. Opens and clicks of an email are kept
    here as engagement on its exposure, never as new exposures. Written only by
    ``goteo.campaigns.exposures``; the words are in ``goteo.engine.exposure_words``.
    """

    # Recording a touch is on the send path, so it writes as little as it can: three indexes
    # in all (the primary key, the unique key, campaign, contact and time), the unique key serving
    # lookups by contact (a contact has few exposures); and no database check of the campaign
    # and version, which on PostgreSQL would lock (so write) those rows for every message.
    # Deleting a campaign still deletes its exposures (Django cascades them). On SQLite the key
    # is a plain rowid, without Django's AUTOINCREMENT (migration 0014): nothing refers to an
    # exposure by its id, and AUTOINCREMENT writes ``sqlite_sequence`` on every insert.
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="exposures", db_index=False
    )
    channel = models.CharField(max_length=16)  # email | mail | sms | social | web
    kind = models.CharField(max_length=24)  # sent | in_home | delivered | qr_visit | visit | …
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        on_delete=models.CASCADE,
        related_name="exposures",
        db_index=False,
        db_constraint=False,
    )
    version = models.ForeignKey(
        CampaignVersion,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    step_id = models.CharField(max_length=64, blank=True, default="")
    delivery_id = models.BigIntegerField(null=True)  # the message, for those made by one
    dedupe_key = models.CharField(max_length=80)
    occurred_at = models.DateTimeField()
    first_opened_at = models.DateTimeField(null=True)
    first_clicked_at = models.DateTimeField(null=True)
    opens = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "goteo_exposure"
        # A campaign's exposures for its report and its exposure curve, by contact and time,
        # read from the index alone.
        indexes = [
            models.Index(
                fields=["campaign", "contact", "occurred_at", "channel", "kind", "step_id"],
                name="exposure_campaign_contact",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["contact", "dedupe_key"], name="uniq_exposure")
        ]


class AudienceExposure(models.Model):
    """A post published to an audience whose members are not known one by one: counted per
    post (with its reach, when the provider says), never as a contact's personal exposure."""

    campaign = models.ForeignKey(
        Campaign, null=True, on_delete=models.CASCADE, related_name="audience_exposures"
    )
    version = models.ForeignKey(
        CampaignVersion, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    step_id = models.CharField(max_length=64, blank=True, default="")
    channel = models.CharField(max_length=16)
    dedupe_key = models.CharField(max_length=200, unique=True)  # the post (account and id)
    reach = models.PositiveIntegerField(null=True)  # followers at publication, when known
    occurred_at = models.DateTimeField()

    class Meta:
        db_table = "goteo_audience_exposure"


class Coupon(models.Model):
    """A single-use discount code: generated for a contact, or drawn from an imported pool.

    A pool code has ``pool`` set and no contact until it is drawn. ``(enrollment, step_id)`` is
    unique, so re-running a step never issues a second code.
    """

    code = models.CharField(max_length=64, unique=True)
    pool = models.CharField(max_length=64, blank=True, default="")
    contact = models.ForeignKey(Contact, null=True, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, on_delete=models.SET_NULL, related_name="+")
    enrollment = models.ForeignKey(
        Enrollment, null=True, on_delete=models.SET_NULL, related_name="coupons"
    )
    step_id = models.CharField(max_length=64, blank=True, default="")
    percent_off = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    amount_off = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    issued_at = models.DateTimeField(null=True)
    expires_at = models.DateTimeField(null=True)
    redeemed_at = models.DateTimeField(null=True)
    redeemed_event_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "goteo_coupon"
        indexes = [models.Index(fields=["pool", "contact"], name="coupon_pool_free")]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "step_id"],
                condition=models.Q(enrollment__isnull=False),
                name="uniq_coupon_step",
            )
        ]


class Conversion(models.Model):
    """A purchase (or other goal event) credited to the last touch that preceded it.

    One per event. ``touch`` is the kind of the crediting touch (click, open, send) and
    ``delivery``/``campaign``/``step_id`` name it; all are empty for an unattributed purchase.
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversions")
    event_id = models.BigIntegerField(unique=True)
    name = models.CharField(max_length=64)
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    campaign = models.ForeignKey(Campaign, null=True, on_delete=models.SET_NULL, related_name="+")
    enrollment = models.ForeignKey(
        Enrollment, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivery = models.ForeignKey(Delivery, null=True, on_delete=models.SET_NULL, related_name="+")
    step_id = models.CharField(max_length=64, blank=True, default="")
    touch = models.CharField(max_length=16, blank=True, default="")  # click | open | send
    coupon_code = models.CharField(max_length=64, blank=True, default="")
    occurred_at = models.DateTimeField()

    class Meta:
        db_table = "goteo_conversion"
        indexes = [
            models.Index(fields=["campaign", "occurred_at"], name="conversion_campaign"),
            models.Index(fields=["occurred_at"], name="conversion_day"),
        ]


class Setting(models.Model):
    """Small operator state kept in the database (the fast clock's origin, for one)."""

    key = models.CharField(max_length=64, primary_key=True)
    value = models.TextField()

    class Meta:
        db_table = "goteo_setting"
