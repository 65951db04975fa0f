"""Email through a Django mail backend: console, file, memory, or an ESP through anymail.

The message carries the same Message-ID and extra headers as over SMTP. Provider errors
become typed results: refused recipients and client errors (4xx) are permanent; server
errors (5xx), timeouts and network failures are retryable; a rate limit (HTTP 429, or 503 with a
``Retry-After``) is ``Throttled``, with the wait the provider's ``Retry-After`` asks for.
"""

from __future__ import annotations

import contextlib
from typing import Any

from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from goteo.channels.base import Delivered, OutgoingEmail, Permanent, Result, Retryable, Throttled
from goteo.channels.email.mime import (
    InvalidMessage,
    clean_phrase,
    clean_unstructured,
    encode_address,
    extra_header,
    message_id_header,
)
from goteo.channels.retry_after import retry_after, throttled_status

# HTTP statuses in the 4xx range that mean "later", not "never".
_RETRYABLE_CLIENT_STATUSES = frozenset((408, 409, 425, 429))


class DjangoBackendChannel:
    """Sends through ``django.core.mail.get_connection(backend_path, **options)``."""

    name = "django"
    capabilities = frozenset({"html", "text", "headers"})

    def __init__(self, backend_path: str, **options: Any) -> None:
        self.backend_path = backend_path
        self.options = options
        self._conn: BaseEmailBackend | None = None

    def send(self, message: OutgoingEmail) -> Result:
        try:
            email = self._email(message)
        except (InvalidMessage, ValueError) as exc:
            return Permanent(message.delivery_id, f"cannot build the message: {exc}")
        try:
            sent = self._connection().send_messages([email])
        except Exception as exc:  # every backend error becomes a result; see _classify
            self._discard()
            return _classify(message.delivery_id, exc)
        if not sent:
            return Retryable(message.delivery_id, f"{self.backend_path} sent nothing")
        status = getattr(email, "anymail_status", None)
        return Delivered(message.delivery_id, str(getattr(status, "message_id", "") or ""))

    def close(self) -> None:
        self._discard()

    def _connection(self) -> BaseEmailBackend:
        if self._conn is None:
            conn = get_connection(self.backend_path, **self.options)
            conn.open()
            self._conn = conn
        return self._conn

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # Closing a broken connection must not hide the result of the send.
            with contextlib.suppress(Exception):
                conn.close()

    @staticmethod
    def _email(message: OutgoingEmail) -> EmailMultiAlternatives:
        for header, value in message.headers.items():
            extra_header(header, value)  # the same rules as over SMTP; raises InvalidMessage
        message_id = message_id_header(message.message_id).partition(": ")[2]
        to = encode_address(message.to_addr)
        name = clean_phrase(message.to_name)
        email = EmailMultiAlternatives(
            subject=clean_unstructured(message.subject),
            body=message.text,
            from_email=message.from_addr,
            to=[f'"{_quote(name)}" <{to}>' if name else to],
            headers={**message.headers, "Message-ID": message_id},
        )
        email.attach_alternative(message.html, "text/html")
        return email


def _quote(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


def _describe(exc: Exception) -> str:
    try:
        return str(exc)
    except Exception:  # a provider error whose details cannot be formatted
        return " ".join(str(arg) for arg in exc.args)


def _classify(delivery_id: int, exc: Exception) -> Result:
    reason = f"{type(exc).__name__}: {_describe(exc)}"
    if isinstance(exc, AnymailRecipientsRefused | AnymailInvalidAddress | BadHeaderError):
        return Permanent(delivery_id, reason)
    if isinstance(exc, AnymailAPIError):
        status = exc.status_code
        header = _header(exc, "Retry-After")
        if isinstance(status, int) and throttled_status(status, header):
            return Throttled(delivery_id, reason, retry_after(header))
        client_error = isinstance(status, int) and 400 <= status < 500
        if client_error and status not in _RETRYABLE_CLIENT_STATUSES:
            return Permanent(delivery_id, reason)
    return Retryable(delivery_id, reason)


def _header(exc: AnymailAPIError, name: str) -> str | None:
    """A header of the provider's answer (anymail keeps the ``requests`` response)."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    value = headers.get(name) if headers is not None else None
    return str(value) if value is not None else None
