"""Hard or soft: what each provider's own payload says about a bounce.

anymail normalises most of an event but not this: Postmark, Brevo and Mandrill report soft
bounces as ``bounced`` with the same reject reason as hard ones. So each provider's own label
is read first; then the SMTP code in the MTA response (5xx hard, 4xx soft); then anymail's
reject reason (``bounced``/``invalid`` hard, the others soft). ``""`` means nobody said.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from goteo.channels.email.bounce_status import HARD, SOFT, severity

_REJECT_REASONS = {
    "bounced": HARD,
    "invalid": HARD,
    "timed_out": SOFT,
    "blocked": SOFT,
    "other": SOFT,
}


def _get(raw: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(key)
    return raw


def _pick(value: Any, hard: set[str], soft: set[str]) -> str:
    text = str(value) if value is not None else ""
    return HARD if text in hard else SOFT if text in soft else ""


def _sparkpost(raw: Any) -> str:
    event = _get(raw, "msys", "message_event") or {}
    bounce_class = str(_get(event, "bounce_class") or "")
    if not bounce_class:
        return ""
    # SparkPost's hard classes: 10 invalid recipient, 30 no RCPT (generic hard bounce).
    return HARD if bounce_class in ("10", "30") else SOFT


def _mailgun(raw: Any) -> str:
    # "old": Mailgun gave up after hours of temporary failures, which is a soft bounce.
    if _get(raw, "event-data", "reason") == "old":
        return SOFT
    return _pick(_get(raw, "event-data", "severity"), {"permanent"}, {"temporary"})


def _mailjet(raw: Any) -> str:
    flag = _get(raw, "hard_bounce")
    return "" if flag is None else HARD if flag else SOFT


def _postal(raw: Any) -> str:
    payload = _get(raw, "payload") or {}
    if _get(payload, "bounce") is not None or _get(payload, "status") == "HardFail":
        return HARD
    return ""


_LABELS: dict[str, Callable[[Any], str]] = {
    "postmark": lambda raw: _pick(
        _get(raw, "Type"), {"HardBounce", "BadEmailAddress"}, {"SoftBounce"}
    ),
    "mandrill": lambda raw: _pick(_get(raw, "event"), {"hard_bounce"}, {"soft_bounce"}),
    "brevo": lambda raw: _pick(
        _get(raw, "event"), {"hard_bounce", "invalid_email"}, {"soft_bounce"}
    ),
    "mailersend": lambda raw: _pick(_get(raw, "data", "type"), {"hard_bounced"}, {"soft_bounced"}),
    "mailgun": _mailgun,
    "sendgrid": lambda raw: _pick(_get(raw, "type"), {"bounce"}, {"blocked"}),
    "resend": lambda raw: _pick(_get(raw, "data", "bounce", "type"), {"Permanent"}, {"Transient"}),
    "sparkpost": _sparkpost,
    "mailjet": _mailjet,
    "postal": _postal,
}


def bounce_label(provider: str, raw: Any, mta_response: str, reject_reason: str) -> str:
    """``hard``, ``soft`` or ``""`` for one event of ``provider`` (raw payload as stored)."""
    label = _LABELS.get(provider)
    found = label(raw) if label is not None else ""
    return found or severity(mta_response) or _REJECT_REASONS.get(reject_reason or "", "")
