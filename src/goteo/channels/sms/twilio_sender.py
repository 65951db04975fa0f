"""Send SMS through Twilio's Messages API with the ``twilio`` library.

Answers: accepted (``queued``/``accepted``/``sent``) is delivered, with the message SID; 5xx, a
timeout or a refused connection are retried; 429 (or Twilio's error 20429, too many requests)
is ``Throttled``, with the answer's ``Retry-After`` when it has one; an invalid or unreachable
number and a recipient who replied STOP (Twilio error 21610) are permanent; a refused login
(20003) is retried, since only the operator can mend it and nothing was sent. Twilio takes no
idempotency key: an answer lost after Twilio accepted the message means one duplicate on the
retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from goteo.channels.base import Delivered, Permanent, Result, Retryable, Throttled
from goteo.channels.retry_after import TOO_MANY_REQUESTS, retry_after, throttled_status
from goteo.channels.sms.message import OutgoingSms
from goteo.channels.sms.twilio_account import TwilioAccount

# The library logs every request and answer in several INFO lines: kept to its warnings.
_http_log = logging.getLogger(f"{__name__}.http")
_http_log.setLevel(logging.WARNING)

TIMEOUT = 10.0
# Twilio error codes that no retry can mend: the number, or the person, will not take it.
PERMANENT_CODES = frozenset(
    (
        21211,  # invalid 'To' number
        21212,  # invalid 'From' number
        21408,  # no permission to send to this region
        21610,  # the recipient replied STOP (unsubscribed)
        21612,  # the 'To' number cannot be reached from this 'From'
        21614,  # 'To' is not a mobile number
        21635,  # 'To' is a landline
        30003,  # unreachable handset
        30005,  # unknown destination handset
        30006,  # landline or unreachable carrier
    )
)
RETRY_CODES = frozenset((20003, 20429, 30001, 30002))  # auth, too many requests, queue full
TOO_MANY = 20429


def classify(delivery_id: int, exc: TwilioRestException, wait: str | None = None) -> Result:
    reason = f"twilio {exc.status}" + (f" error {exc.code}" if exc.code else "") + f": {exc.msg}"
    if exc.code in PERMANENT_CODES:
        return Permanent(delivery_id, reason)
    if exc.code == TOO_MANY or throttled_status(exc.status, wait):
        return Throttled(delivery_id, reason, retry_after(wait))
    if exc.code in RETRY_CODES or exc.status == 429 or exc.status >= 500:
        return Retryable(delivery_id, reason)
    if 400 <= exc.status < 500:
        return Permanent(delivery_id, reason)
    return Retryable(delivery_id, reason)


class _HttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio has no types
    """Twilio's client, keeping the last answer's ``Retry-After`` (its errors do not carry
    the headers)."""

    retry_after: str | None = None

    def request(self, *args: Any, **kwargs: Any) -> Response:
        response = super().request(*args, **kwargs)
        headers = response.headers or {}
        throttled = response.status_code in (TOO_MANY_REQUESTS, 503)
        self.retry_after = headers.get("Retry-After") if throttled else None
        return response


@dataclass
class TwilioSender:
    account: TwilioAccount
    name: str = "twilio"
    receipts: bool = True  # status callbacks to /webhooks/twilio/status/
    _client: Client | None = field(default=None, init=False, repr=False)

    def _connect(self) -> Client:
        if self._client is None:
            client = Client(
                self.account.account_sid,
                self.account.auth_token,
                http_client=_HttpClient(timeout=TIMEOUT, logger=_http_log),
            )
            client.api.base_url = self.account.api_url
            self._client = client
        return self._client

    def send(self, sms: OutgoingSms) -> Result:
        sender = (
            {"messaging_service_sid": self.account.messaging_service_sid}
            if self.account.messaging_service_sid
            else {"from_": self.account.from_number}
        )
        try:
            message = self._connect().messages.create(
                to=sms.to, body=sms.body, status_callback=sms.status_callback or None, **sender
            )
        except TwilioRestException as exc:
            http = self._connect().http_client
            wait = http.retry_after if isinstance(http, _HttpClient) else None
            return classify(sms.delivery_id, exc, wait)
        except requests.RequestException as exc:
            return Retryable(sms.delivery_id, f"twilio unreachable: {type(exc).__name__}: {exc}")
        if message.status in ("failed", "undelivered"):
            return Permanent(sms.delivery_id, f"twilio {message.status}: {message.error_code}")
        return Delivered(sms.delivery_id, str(message.sid))

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and isinstance(client.http_client, TwilioHttpClient):
            client.http_client.session.close()
