"""SMS consent: granted with its proof, withdrawn at once, restored; and the inbound keywords.

Each change is a ``ChannelConsent`` row (the proof) and the contact's ``sms_consent`` column
(what the send-time gate reads, ``goteo.contacts.channel_consent``), in one transaction. A STOP
also puts the number on the suppression list (as ``unsubscribed``, by its hash), so a contact
added later with that number, or after an erasure, is not texted either; START, or consent
given again, takes it off.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from goteo.actions.errors import ActionError
from goteo.actions.suppression import do_suppress, do_unsuppress
from goteo.campaigns.in_flight import wait_after_commit
from goteo.contacts.channel_consent import GRANTED, WITHDRAWN
from goteo.contacts.models import ChannelConsent, Contact, SuppressionReason

SMS = "sms"
# What a person may text back (case and spaces do not matter), as carriers and Twilio read them.
STOP_WORDS = frozenset(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"))
START_WORDS = frozenset(("START", "YES", "UNSTOP"))
HELP_WORDS = frozenset(("HELP", "INFO"))


def keyword(body: str) -> str | None:
    """stop, start, help, or None for any other message."""
    word = body.strip().upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None


def _record(
    contact: Contact,
    status: str,
    source: str,
    now: datetime,
    *,
    text: str = "",
    ip: str | None = None,
    proof: str = "",
) -> ChannelConsent:
    record = ChannelConsent.objects.create(
        contact=contact,
        channel=SMS,
        status=status,
        source=source,
        text=text,
        ip=ip,
        proof=proof[:64],
        at=now,
    )
    if contact.sms_consent != status:
        contact.sms_consent = status
        contact.save(update_fields=["sms_consent", "updated_at"])
    return record


def grant_sms_consent(
    contact: Contact, source: str, text: str, now: datetime, ip: str | None = None
) -> ChannelConsent:
    """Inside the caller's transaction: the contact agreed to SMS, to ``text``."""
    if not contact.phone:
        raise ActionError("no phone number", {"phone": "SMS consent needs a phone number"})
    if not text.strip():
        raise ActionError("no consent text", {"sms_consent": "the words the person agreed to"})
    do_unsuppress(contact.phone, [SuppressionReason.UNSUBSCRIBED])
    return _record(contact, GRANTED, source, now, text=text, ip=ip)


def withdraw_sms_consent(
    contact: Contact, source: str, now: datetime, *, text: str = "", proof: str = ""
) -> ChannelConsent:
    """Inside the caller's transaction: no SMS from now on (once its texts in flight went)."""
    wait_after_commit([contact.id])
    return _record(contact, WITHDRAWN, source, now, text=text, proof=proof)


def do_stop_sms(contact: Contact, now: datetime, source: str = "preferences") -> None:
    """The contact asked for no more text messages (the preference centre)."""
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(id=contact.id)
        withdraw_sms_consent(locked, source, now)
    contact.sms_consent = locked.sms_consent


@dataclass(frozen=True)
class OptIn:
    text: str  # the words the person agreed to
    ip: str | None


def check_sms_choice(opt_in: Any, opt_out: Any) -> OptIn | None:
    """The API's ``sms_opt_in`` (checked) or ``sms_opt_out: true`` (None), never both."""
    if opt_out not in (None, True, False):
        raise ActionError("invalid SMS consent", {"sms_opt_out": "must be true or false"})
    if opt_in is None:
        return None
    if opt_out:
        raise ActionError("invalid SMS consent", {"sms_opt_out": "not with sms_opt_in"})
    return check_sms_opt_in(opt_in)


def check_sms_opt_in(raw: Any) -> OptIn:
    """``{"text": "…", "ip": "…"}``: the words the person agreed to, and where from."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("text"), str):
        raise ActionError(
            "invalid SMS consent", {"sms_opt_in": '{"text": "the words agreed to", "ip": …}'}
        )
    text, ip = raw["text"].strip(), raw.get("ip")
    if not text or len(text) > 2000:
        raise ActionError("invalid SMS consent", {"sms_opt_in.text": "1 to 2000 characters"})
    if ip is not None:
        try:
            ip = str(ipaddress.ip_address(str(ip)))
        except ValueError:
            raise ActionError(
                "invalid SMS consent", {"sms_opt_in.ip": f"{ip!r} is not an IP address"}
            ) from None
    return OptIn(text, ip)


@dataclass(frozen=True)
class KeywordOutcome:
    keyword: str | None  # stop, start, help or None
    contacts: int  # how many contacts with this number it changed


def do_inbound_sms(phone: str, body: str, message_sid: str, now: datetime) -> KeywordOutcome:
    """A text from ``phone``: STOP ends SMS consent of every contact with that number at
    once, START restores it (the message SID is the proof of either); HELP changes nothing."""
    word = keyword(body)
    if word not in ("stop", "start") or not phone:
        return KeywordOutcome(word, 0)
    status = WITHDRAWN if word == "stop" else GRANTED
    text = body.strip()[:160]
    with transaction.atomic():
        contacts = list(Contact.objects.select_for_update().filter(phone=phone).order_by("id"))
        for contact in contacts:
            _record(contact, status, SMS, now, text=text, proof=message_sid)
        if word == "stop":
            wait_after_commit(c.id for c in contacts)
            do_suppress(phone, SuppressionReason.UNSUBSCRIBED, f"SMS {text} ({message_sid})")
        else:
            do_unsuppress(phone, [SuppressionReason.UNSUBSCRIBED])
    return KeywordOutcome(word, len(contacts))
