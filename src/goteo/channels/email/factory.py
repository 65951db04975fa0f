"""The email channel for a configuration (``GOTEO_EMAIL_URL``)."""

from __future__ import annotations

from goteo.channels.base import EmailChannel
from goteo.channels.email.django_channel import DjangoBackendChannel
from goteo.channels.email.smtp import SmtpChannel
from goteo.config import EmailConfig


def email_channel(config: EmailConfig, *, local_hostname: str | None = None) -> EmailChannel:
    """SMTP directly for ``smtp://`` and ``smtps://``; a Django mail backend otherwise."""
    if config.kind == "smtp":
        return SmtpChannel(config, local_hostname=local_hostname)
    if config.kind == "file":
        return DjangoBackendChannel(config.django_backend, file_path=config.file_path)
    return DjangoBackendChannel(config.django_backend)
