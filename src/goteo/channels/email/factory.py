"""The email channel for a configuration (``GOTEO_EMAIL_URL``)."""

from __future__ import annotations

import logging

from goteo.channels.base import EmailChannel
from goteo.channels.email.django_channel import DjangoBackendChannel
from goteo.channels.email.dkim import Signer
from goteo.channels.email.smtp import SmtpChannel
from goteo.config import EmailConfig

log = logging.getLogger(__name__)


def email_channel(
    config: EmailConfig, *, local_hostname: str | None = None, signer: Signer | None = None
) -> EmailChannel:
    """SMTP directly for ``smtp://`` and ``smtps://``; a Django mail backend otherwise.

    ``signer`` DKIM-signs what goes out over SMTP. Providers behind anymail sign with the key
    set up in their own dashboard, and the development backends need no signature.
    """
    if config.kind == "smtp":
        return SmtpChannel(config, local_hostname=local_hostname, signer=signer)
    if signer is not None:
        log.warning("DKIM signing applies to smtp:// only; %s mail goes out unsigned", config.kind)
    if config.kind == "file":
        return DjangoBackendChannel(config.django_backend, file_path=config.file_path)
    return DjangoBackendChannel(config.django_backend)
