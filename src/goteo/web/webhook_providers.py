"""The providers whose tracking webhooks Goteo serves, and how each one is authenticated.

Each is django-anymail's own view, served only once its credentials are configured (an open
webhook would let anyone suppress any address), with a freshness check added where the
provider signs a timestamp. Not served: Amazon SES (its views fetch SNS signing certificates
over the network) and Unisender Go (its signature is an MD5 keyed with the sending API key).
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass
from typing import Any

from anymail.exceptions import AnymailNotSupportedWarning, AnymailWebhookValidationFailure
from anymail.webhooks.base import AnymailCoreWebhookView
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailersend import MailerSendTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.mailjet import MailjetTrackingWebhookView
from anymail.webhooks.mailtrap import MailtrapTrackingWebhookView
from anymail.webhooks.mandrill import MandrillCombinedWebhookView
from anymail.webhooks.postal import PostalTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.resend import ResendTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from anymail.webhooks.sparkpost import SparkPostTrackingWebhookView
from django.conf import settings
from django.http import HttpRequest

BASIC_AUTH = "WEBHOOK_SECRET"


def check_fresh(timestamp: object, esp_name: str) -> None:
    """Refuse a signed timestamp more than ``GOTEO_WEBHOOK_MAX_AGE`` seconds from now."""
    max_age = int(getattr(settings, "GOTEO_WEBHOOK_MAX_AGE", 300))
    if max_age <= 0:
        return
    try:
        age = time.time() - float(str(timestamp))
    except ValueError:
        raise AnymailWebhookValidationFailure(f"{esp_name} webhook without a timestamp") from None
    if abs(age) > max_age:
        raise AnymailWebhookValidationFailure(
            f"{esp_name} webhook signed {age:.0f} s from now (more than {max_age} s):"
            " refused as a replay"
        )


class MailgunView(MailgunTrackingWebhookView):  # type: ignore[misc]  # anymail has no types
    """Mailgun signs timestamp + token (not the body): a stale timestamp is a replay."""

    def validate_request(self, request: HttpRequest) -> None:
        if request.content_type == "application/json":
            try:
                timestamp = json.loads(request.body)["signature"]["timestamp"]
            except (ValueError, KeyError, TypeError):
                timestamp = None
        else:
            timestamp = request.POST.get("timestamp")
        check_fresh(timestamp, self.esp_name)


class SendGridView(SendGridTrackingWebhookView):  # type: ignore[misc]  # anymail has no types
    """SendGrid's signed event webhook signs timestamp + body; the timestamp must be fresh."""

    def __init__(self, **kwargs: Any) -> None:
        # anymail warns on every request that SendGrid is no longer officially supported;
        # docs/deliverability.md says so once.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AnymailNotSupportedWarning)
            super().__init__(**kwargs)

    def validate_request(self, request: HttpRequest) -> None:
        if self.webhook_verification_key:
            timestamp = request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp")
            check_fresh(timestamp, self.esp_name)


@dataclass(frozen=True)
class Provider:
    key: str  # the URL segment and ProviderEvent.provider
    view: type[AnymailCoreWebhookView]
    auth: str  # how requests are authenticated
    enabled_by: tuple[str, ...]  # ANYMAIL settings, any of which turns the webhook on

    def enabled(self) -> bool:
        configured = getattr(settings, "ANYMAIL", None) or {}
        return any(configured.get(name) for name in self.enabled_by)


PROVIDERS = {
    p.key: p
    for p in (
        Provider(
            "mailgun",
            MailgunView,
            "HMAC-SHA256 of timestamp + token, fresh timestamp",
            ("MAILGUN_WEBHOOK_SIGNING_KEY",),
        ),
        Provider(
            "mandrill",
            MandrillCombinedWebhookView,
            "X-Mandrill-Signature (HMAC-SHA1 of URL and body)",
            ("MANDRILL_WEBHOOK_KEY",),
        ),
        Provider(
            "postal",
            PostalTrackingWebhookView,
            "X-Postal-Signature (RSA-SHA1 of the body)",
            ("POSTAL_WEBHOOK_KEY",),
        ),
        Provider(
            "mailersend",
            MailerSendTrackingWebhookView,
            "Signature (HMAC-SHA256 of the body)",
            ("MAILERSEND_SIGNING_SECRET",),
        ),
        Provider(
            "mailtrap",
            MailtrapTrackingWebhookView,
            "Mailtrap-Signature (HMAC-SHA256 of the body), or basic auth",
            ("MAILTRAP_TRACKING_SECRET", BASIC_AUTH),
        ),
        Provider(
            "sendgrid",
            SendGridView,
            "signed event webhook (ECDSA of timestamp + body, fresh timestamp), or basic auth",
            ("SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY", BASIC_AUTH),
        ),
        Provider(
            "resend",
            ResendTrackingWebhookView,
            "basic auth (or Svix signature with svix)",
            (BASIC_AUTH, "RESEND_SIGNING_SECRET"),
        ),
        Provider("postmark", PostmarkTrackingWebhookView, "basic auth", (BASIC_AUTH,)),
        Provider("brevo", BrevoTrackingWebhookView, "basic auth", (BASIC_AUTH,)),
        Provider("mailjet", MailjetTrackingWebhookView, "basic auth", (BASIC_AUTH,)),
        Provider("sparkpost", SparkPostTrackingWebhookView, "basic auth", (BASIC_AUTH,)),
    )
}


def provider_key(esp_name: str) -> str:
    """anymail's ``esp_name`` ("SendGrid") → our key ("sendgrid")."""
    return esp_name.lower().replace(" ", "_")
