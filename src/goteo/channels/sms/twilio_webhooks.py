"""Twilio's side of its webhooks: whether a request is signed by the account, and the TwiML
reply to a text.

Twilio signs each call with the account's auth token (``X-Twilio-Signature``: the HMAC-SHA1,
under the token, of the full URL it called and the posted parameters), checked here with
``twilio.request_validator.RequestValidator``. The views are ``goteo.web.webhooks.twilio``.
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

TWIML = "text/xml; charset=utf-8"


def signed(token: str, url: str, params: Mapping[str, str], signature: str) -> bool:
    """Whether ``signature`` is Twilio's for a call to ``url`` with ``params``."""
    return bool(signature) and RequestValidator(token).validate(url, dict(params), signature)


def reply(text: str | None) -> str:
    """The TwiML answer to a text: ``text`` sent back, or no message when None."""
    answer = MessagingResponse()
    if text is not None:
        answer.message(text)
    return str(answer)
