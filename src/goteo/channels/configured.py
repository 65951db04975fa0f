"""The channels this configuration offers: their providers and capabilities.

Read from the settings; building them opens no connection, so ``validate`` can ask what is
offered without reaching any provider.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import DatabaseError

from goteo.channels import webhook, webhook_sinks
from goteo.channels.base import Channel, EmailChannel
from goteo.channels.direct_mail.prices import PriceList, parse_prices
from goteo.channels.email import provider as email
from goteo.channels.email.composer import Composer, sender_from_settings
from goteo.channels.registry import Channels, OfferedChannels
from goteo.channels.sms.config import sms_provider
from goteo.channels.social import channel as social
from goteo.config import ConfigError
from goteo.contacts.postal import PostalAddress, check_postal
from goteo.social.models import SocialAccount

if TYPE_CHECKING:
    from goteo.channels.direct_mail.provider import MailProvider


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


def mail_channel() -> MailProvider | None:
    """``GOTEO_MAIL_URL``: ``folder:/path`` (the print house) or ``lob://KEY@host``; None
    when it is empty."""
    url = settings.GOTEO_MAIL_URL
    if not url:
        return None
    # WeasyPrint, its fonts and the QR encoder are loaded only where mail is configured.
    from goteo.channels.direct_mail.factory import mail_provider
    from goteo.channels.direct_mail.provider import MailProvider

    sender: PostalAddress | None = None
    errors: dict[str, str] = {}
    if settings.GOTEO_MAIL_SENDER:
        try:
            sender, errors = check_postal(json.loads(settings.GOTEO_MAIL_SENDER))
        except ValueError as exc:
            errors = {"json": str(exc)}
    if errors:
        problems = "; ".join(f"{k}: {v}" for k, v in errors.items())
        raise ConfigError(f"GOTEO_MAIL_SENDER is not a postal address: {problems}")
    try:
        backend = mail_provider(url, secret=settings.SECRET_KEY, sender=sender)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return MailProvider(backend, sender_from_settings(), mail_prices())


def mail_prices() -> PriceList | None:
    """``GOTEO_MAIL_PRICES``: what each mailer costs, per format and country; None when empty."""
    try:
        return parse_prices(settings.GOTEO_MAIL_PRICES)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def build_channels(transport: EmailChannel, composer: Composer) -> Channels:
    """Every configured channel's provider: email through ``transport``, webhooks as
    ``GOTEO_WEBHOOK_URL`` says, social posts through each account's own provider, SMS when
    ``GOTEO_SMS_URL`` names a provider, mail when ``GOTEO_MAIL_URL`` names a print provider."""
    providers: list[Channel] = [
        email.EmailProvider(transport, composer),
        webhook_provider(settings.GOTEO_WEBHOOK_URL),
        social.SocialChannel(Path(settings.DATA_DIR)),
    ]
    sms = sms_provider(settings.GOTEO_SMS_URL, settings.BASE_URL)
    if sms is not None:
        providers.append(sms)
    mail = mail_channel()
    if mail is not None:
        providers.append(mail)
    return Channels(*providers)


def social_accounts() -> frozenset[str] | None:
    """The accounts the stored calendars declare; None when the database cannot be read
    (``validate`` without one): then social steps are accepted and their accounts unchecked."""
    try:
        return frozenset(SocialAccount.objects.values_list("name", flat=True))
    except DatabaseError:
        return None


def offered() -> dict[str, frozenset[str]]:
    """Channel name -> capabilities, for every channel configured here."""
    return _with_social(_by_settings(), social_accounts())


def _by_settings() -> dict[str, frozenset[str]]:
    found = {"email": email.CAPABILITIES}
    found["webhook"] = webhook_provider(settings.GOTEO_WEBHOOK_URL).capabilities
    sms = sms_provider(settings.GOTEO_SMS_URL, settings.BASE_URL)
    if sms is not None:
        found["sms"] = sms.capabilities
    mail = mail_channel()
    if mail is not None:
        found["mail"] = mail.capabilities
    return found


def _with_social(
    found: dict[str, frozenset[str]], accounts: frozenset[str] | None
) -> dict[str, frozenset[str]]:
    if accounts is None or accounts:
        found["social"] = social.CAPABILITIES
    return found


class ConfiguredCheck:
    """The check ``validate`` and ``apply`` run: the channels the settings configure, and the
    social accounts, read from the database only when a step posts."""

    def __init__(self) -> None:
        self.settings_only = OfferedChannels(_by_settings())
        self._with_accounts: OfferedChannels | None = None

    def _for(self, channel: str) -> OfferedChannels:
        if channel != "social":
            return self.settings_only
        if self._with_accounts is None:
            accounts = social_accounts()
            found = _with_social(dict(self.settings_only.offered), accounts)
            known = {} if accounts is None else {"social": accounts}
            self._with_accounts = OfferedChannels(found, known)
        return self._with_accounts

    def __call__(self, channel: str, wanted: frozenset[str]) -> str | None:
        return self._for(channel)(channel, wanted)

    def account(self, channel: str, name: str) -> str | None:
        return self._for(channel).account(channel, name)


def channel_check() -> ConfiguredCheck:
    return ConfiguredCheck()
