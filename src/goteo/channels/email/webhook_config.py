"""Webhook credentials from ``GOTEO_*`` variables into django-anymail's ``ANYMAIL`` settings.

Read by ``goteo.settings``; no Django here. A provider's webhook is served only when its
credentials are set (``goteo.channels.email.webhook_providers``).
"""

from __future__ import annotations

from collections.abc import Mapping

# GOTEO_ variable → ANYMAIL setting.
SIGNING_KEYS = {
    "GOTEO_MAILGUN_WEBHOOK_SIGNING_KEY": "MAILGUN_WEBHOOK_SIGNING_KEY",
    "GOTEO_MANDRILL_WEBHOOK_KEY": "MANDRILL_WEBHOOK_KEY",
    "GOTEO_MANDRILL_WEBHOOK_URL": "MANDRILL_WEBHOOK_URL",
    "GOTEO_POSTAL_WEBHOOK_KEY": "POSTAL_WEBHOOK_KEY",
    "GOTEO_MAILERSEND_SIGNING_SECRET": "MAILERSEND_SIGNING_SECRET",
    "GOTEO_MAILTRAP_WEBHOOK_SIGNING_KEY": "MAILTRAP_TRACKING_SECRET",
    "GOTEO_SENDGRID_WEBHOOK_VERIFICATION_KEY": "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY",
    "GOTEO_RESEND_SIGNING_SECRET": "RESEND_SIGNING_SECRET",
}


def webhook_settings(environ: Mapping[str, str]) -> dict[str, str | list[str]]:
    """``WEBHOOK_SECRET`` (basic auth ``user:password``; several, comma-separated, while
    rotating) and each provider's signing key that is set."""
    result: dict[str, str | list[str]] = {}
    secrets = [s.strip() for s in environ.get("GOTEO_WEBHOOK_SECRET", "").split(",") if s.strip()]
    if secrets:
        result["WEBHOOK_SECRET"] = secrets
    for variable, setting in SIGNING_KEYS.items():
        value = environ.get(variable, "").strip()
        if value:
            result[setting] = value
    return result
