"""The providers whose tracking webhooks Goteo serves, and how each one is authenticated.

Each is django-anymail's own view, served only once its credentials are configured (an open
webhook would let anyone suppress any address), with a freshness check added where the
provider signs a timestamp, and each payload checked against its provider's schema before
anymail reads it (``webhook_payloads``). Not served: Amazon SES (its views fetch SNS signing
certificates over the network) and Unisender Go (its signature is an MD5 keyed with the
sending API key). The URL and the recording of each event are ``goteo.web.webhooks.tracking``.
"""

from __future__ import annotations

import math
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

from goteo.channels.email.webhook_payloads import check_request, read_json

BASIC_AUTH = "WEBHOOK_SECRET"


def signed_time(timestamp: object, esp_name: str) -> float:
    """The Unix time a provider signed; refused when it is not a finite number ("nan")."""
    try:
        signed_at = float(str(timestamp))
    except ValueError:
        signed_at = math.nan
    if not math.isfinite(signed_at):
        raise AnymailWebhookValidationFailure(f"{esp_name} webhook without a timestamp")
    return signed_at


def check_fresh(timestamp: object, esp_name: str) -> None:
    """Refuse a signed timestamp that is not a time, or is more than
    ``GOTEO_WEBHOOK_MAX_AGE`` seconds from now (0: any time)."""
    signed_at = signed_time(timestamp, esp_name)
    max_age = int(getattr(settings, "GOTEO_WEBHOOK_MAX_AGE", 300))
    if max_age <= 0:
        return
    age = time.time() - signed_at
    if abs(age) > max_age:
        raise AnymailWebhookValidationFailure(
            f"{esp_name} webhook signed {age:.0f} s from now (more than {max_age} s):"
            " refused as a replay"
        )


class Checked(AnymailCoreWebhookView):  # type: ignore[misc]  # anymail has no types
    """Once the request is authenticated, its payload must match the provider's schema."""

    def parse_events(self, request: HttpRequest) -> list[Any]:
        check_request(provider_key(self.esp_name), request)
        events: list[Any] = super().parse_events(request)
        return events


def checked(view: type[AnymailCoreWebhookView]) -> type[AnymailCoreWebhookView]:
    """anymail's ``view`` with the payload check before it parses."""
    made: type[AnymailCoreWebhookView] = type(view.__name__, (Checked, view), {})
    return made


class MailgunView(MailgunTrackingWebhookView):  # type: ignore[misc]  # anymail has no types
    """Mailgun signs timestamp + token (not the body): a stale timestamp is a replay.

    Its signature is inside the payload, so the payload is checked first (this validator runs
    before anymail's): the signature block must be text, the time a finite number.
    """

    def validate_request(self, request: HttpRequest) -> None:
        check_request("mailgun", request)
        check_fresh(read_json(request.body)["signature"]["timestamp"], self.esp_name)


class SendGridView(Checked, SendGridTrackingWebhookView):  # type: ignore[misc]  # anymail has no types
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
            checked(MandrillCombinedWebhookView),
            "X-Mandrill-Signature (HMAC-SHA1 of URL and body)",
            ("MANDRILL_WEBHOOK_KEY",),
        ),
        Provider(
            "postal",
            checked(PostalTrackingWebhookView),
            "X-Postal-Signature (RSA-SHA1 of the body)",
            ("POSTAL_WEBHOOK_KEY",),
        ),
        Provider(
            "mailersend",
            checked(MailerSendTrackingWebhookView),
            "Signature (HMAC-SHA256 of the body)",
            ("MAILERSEND_SIGNING_SECRET",),
        ),
        Provider(
            "mailtrap",
            checked(MailtrapTrackingWebhookView),
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
            checked(ResendTrackingWebhookView),
            "basic auth (or Svix signature with svix)",
            (BASIC_AUTH, "RESEND_SIGNING_SECRET"),
        ),
        Provider("postmark", checked(PostmarkTrackingWebhookView), "basic auth", (BASIC_AUTH,)),
        Provider("brevo", checked(BrevoTrackingWebhookView), "basic auth", (BASIC_AUTH,)),
        Provider("mailjet", checked(MailjetTrackingWebhookView), "basic auth", (BASIC_AUTH,)),
        Provider("sparkpost", checked(SparkPostTrackingWebhookView), "basic auth", (BASIC_AUTH,)),
    )
}


def provider_key(esp_name: str) -> str:
    """anymail's ``esp_name`` ("SendGrid") → our key ("sendgrid")."""
    return esp_name.lower().replace(" ", "_")
