"""A Twilio account as ``GOTEO_SMS_URL`` gives it: known without importing the twilio
library, which only the sender loads."""

from __future__ import annotations

from dataclasses import dataclass

API_URL = "https://api.twilio.com"


@dataclass(frozen=True)
class TwilioAccount:
    account_sid: str
    auth_token: str
    from_number: str = ""  # E.164, or
    messaging_service_sid: str = ""  # MG…: Twilio picks the sender
    api_url: str = API_URL  # a loopback server in the tests
