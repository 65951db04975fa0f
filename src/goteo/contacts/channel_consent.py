"""May this contact be sent an SMS? The pure check the send-time gate calls.

An SMS needs the contact's own SMS consent (granted, with its proof, by
``goteo.actions.sms_consent``) and a phone number; email consent never stands in for it. This
module imports no models, so the gate can use it with the facts it read for the contact.
"""

from __future__ import annotations

from typing import Protocol

GRANTED = "granted"
WITHDRAWN = "withdrawn"
STATUSES = ("", GRANTED, WITHDRAWN)  # "": never asked


class SmsFacts(Protocol):
    """What the check reads: a Contact row or the gate's facts about it."""

    @property
    def phone(self) -> str: ...

    @property
    def sms_consent(self) -> str: ...


def sms_refusal(phone: str, sms_consent: str) -> str | None:
    """Why an SMS may not go to this contact now, or None when it may."""
    if not phone:
        return "no phone number"
    if sms_consent == WITHDRAWN:
        return "SMS consent withdrawn"
    if sms_consent != GRANTED:
        return "no SMS consent"
    return None


def may_send_sms(contact: SmsFacts) -> bool:
    return sms_refusal(contact.phone, contact.sms_consent) is None
