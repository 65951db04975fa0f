"""Build a worker from the settings: the configured channels and the sender identity."""

from __future__ import annotations

import logging

from django.conf import settings

from goteo.channels.configured import build_channels
from goteo.channels.email.composer import Composer, sender_from_settings
from goteo.channels.email.dkim_default import choice_from_settings, ensure_generated_key, signer_for
from goteo.channels.email.factory import email_channel
from goteo.config import ConfigError, EmailConfig
from goteo.engine.clock import Clock
from goteo.worker.loop import Worker

log = logging.getLogger(__name__)

# Backends that reach real inboxes; the others (console, memory, file) are for development.
_REAL_MAIL = frozenset(("smtp", "anymail"))


def check_postal_address(config: EmailConfig, postal_address: str) -> None:
    """Marketing mail must carry the sender's postal address (CAN-SPAM): refuse without one."""
    if postal_address.strip():
        return
    if config.kind in _REAL_MAIL:
        raise ConfigError(
            "GOTEO_POSTAL_ADDRESS is empty: every marketing email must show the sender's postal"
            " address; set it (e.g. GOTEO_POSTAL_ADDRESS='Shop Ltd, 1 High St, London N1 1AA, UK')"
            " before sending real mail"
        )
    log.warning("GOTEO_POSTAL_ADDRESS is empty: allowed with the %s backend only", config.kind)


def build_worker(clock: Clock, batch: int = 500, lease_seconds: float = 120.0) -> Worker:
    check_postal_address(settings.EMAIL_CONFIG, settings.GOTEO_POSTAL_ADDRESS)
    dkim = choice_from_settings()
    if ensure_generated_key(dkim):
        log.warning(
            "generated a DKIM key, %s: mail is signed with it, but receivers can verify the"
            " signatures only once its record is published (`goteo dns` prints it)",
            dkim.key_file,
        )
    signer = signer_for(dkim)
    # One channel set per connection (GOTEO_EMAIL_CONNECTIONS): its own SMTP connection and
    # provider clients, for one wire thread of the sender (worker/sender_thread.py).
    connections = [
        build_channels(
            email_channel(settings.EMAIL_CONFIG, signer=signer), Composer(sender_from_settings())
        )
        for _ in range(settings.GOTEO_EMAIL_CONNECTIONS)
    ]
    return Worker(
        clock=clock,
        channels=connections[0],
        more_connections=connections[1:],
        batch=batch,
        lease_seconds=lease_seconds,
    )
