"""``GOTEO_SMS_URL``: which SMS provider the worker sends through.

- ``twilio://ACCOUNT_SID:AUTH_TOKEN@?from=+15551234567`` (or ``messaging_service=MG…``
  instead of ``from``); ``api=http://127.0.0.1:8123`` points it at another server (tests);
- ``memory:`` and ``folder:/path``: the test doubles (``doubles.py``);
- empty: no SMS channel (``send: sms`` steps are refused by ``validate``).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from goteo.channels.sms import doubles
from goteo.channels.sms.message import SmsSender
from goteo.channels.sms.provider import SmsProvider
from goteo.channels.sms.twilio_account import API_URL, TwilioAccount
from goteo.config import ConfigError
from goteo.contacts.phones import normalize_phone

QUERY_KEYS = ("from", "messaging_service", "api")


def twilio_account(url: str) -> TwilioAccount:
    parts = urlsplit(url)
    sid, token = unquote(parts.username or ""), unquote(parts.password or "")
    if not sid.startswith("AC") or not token:
        raise ConfigError(
            "GOTEO_SMS_URL: twilio://ACCOUNT_SID:AUTH_TOKEN@?from=+1555… needs the account "
            "SID (AC…) and the auth token"
        )
    # A "+" in from=+1555… is the number's own, not an encoded space.
    query = {k: v[-1] for k, v in parse_qs(parts.query.replace("+", "%2B")).items()}
    unknown = sorted(set(query) - set(QUERY_KEYS))
    if unknown:
        raise ConfigError(
            f"GOTEO_SMS_URL: unknown option {unknown[0]!r} (use from, messaging_service)"
        )
    service = query.get("messaging_service", "")
    sender = query.get("from", "")
    if bool(service) == bool(sender):
        raise ConfigError("GOTEO_SMS_URL: give one of from=+1555… or messaging_service=MG…")
    if sender:
        try:
            sender = normalize_phone(sender, None)
        except ValueError as exc:
            raise ConfigError(f"GOTEO_SMS_URL: from: {exc}") from None
    api = query.get("api", API_URL).rstrip("/")
    if urlsplit(api).scheme not in ("http", "https"):
        raise ConfigError(f"GOTEO_SMS_URL: api {api!r} must be an http(s) URL")
    return TwilioAccount(sid, token, sender, service, api)


def sms_sender(url: str) -> SmsSender | None:
    """The sender ``GOTEO_SMS_URL`` names, or None when SMS is not configured."""
    if not url.strip():
        return None
    scheme = urlsplit(url).scheme.lower()
    if scheme == "twilio":  # the twilio library is loaded only by a worker that uses it
        from goteo.channels.sms.twilio_sender import TwilioSender

        return TwilioSender(twilio_account(url))
    if scheme == "memory":
        return doubles.MEMORY
    path = urlsplit(url).path
    if scheme == "folder" and path:
        return doubles.FolderSms(Path(unquote(path)))
    raise ConfigError(
        f"GOTEO_SMS_URL {url!r} is not understood; use twilio://SID:TOKEN@?from=…, memory: "
        "or folder:/path"
    )


def sms_provider(url: str, base_url: str) -> SmsProvider | None:
    """The SMS channel ``GOTEO_SMS_URL`` configures (status callbacks to ``base_url``), or
    None: what the worker's channels and ``validate``'s offered channels are built from."""
    sender = sms_sender(url)
    return None if sender is None else SmsProvider(sender, base_url)


def auth_token(url: str) -> str:
    """The token Twilio signs its webhooks with ("" unless SMS goes through Twilio)."""
    if urlsplit(url).scheme.lower() != "twilio":
        return ""
    return twilio_account(url).auth_token
