"""The channels this configuration offers: their providers and capabilities.

Read from the settings; building them opens no connection, so ``validate`` can ask what is
offered without reaching any provider.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings

from goteo.channels import webhook, webhook_sinks
from goteo.channels.base import EmailChannel
from goteo.channels.email import provider as email
from goteo.channels.email.composer import Composer
from goteo.channels.registry import Channels, OfferedChannels
from goteo.config import ConfigError


def webhook_provider(url: str) -> webhook.WebhookProvider:
    """``GOTEO_WEBHOOK_URL``: ``http:`` (post to each step's target), ``memory:`` or
    ``folder:/path``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("", "http", "https"):
        return webhook.WebhookProvider()
    if scheme == "memory":
        return webhook.WebhookProvider(poster=webhook_sinks.MEMORY)
    if scheme == "folder" and parts.path:
        return webhook.WebhookProvider(poster=webhook_sinks.FolderSink(Path(unquote(parts.path))))
    raise ConfigError(
        f"GOTEO_WEBHOOK_URL {url!r} is not understood; use http:, memory: or folder:/path"
    )


def build_channels(transport: EmailChannel, composer: Composer) -> Channels:
    """Every configured channel's provider: email through ``transport``, webhooks as
    ``GOTEO_WEBHOOK_URL`` says."""
    return Channels(
        email.EmailProvider(transport, composer), webhook_provider(settings.GOTEO_WEBHOOK_URL)
    )


def offered() -> dict[str, frozenset[str]]:
    """Channel name -> capabilities, for every channel configured here."""
    found = {"email": email.CAPABILITIES}
    found["webhook"] = webhook_provider(settings.GOTEO_WEBHOOK_URL).capabilities
    return found


def channel_check() -> OfferedChannels:
    return OfferedChannels(offered())
