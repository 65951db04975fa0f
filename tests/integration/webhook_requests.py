"""Webhook requests as each provider sends them: recorded payloads, signed with test keys.

The payloads in tests/fixtures/webhooks are recorded in each provider's documented format,
with the Message-ID left as a placeholder (``{{MESSAGE_ID}}``, or ``{{MESSAGE_ID_BARE}}``
without angle brackets) that each test fills in with its own delivery's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
BASIC_AUTH = "goteo-hooks:webhook-test-password"
MAILGUN_KEY = "mailgun-test-webhook-signing-key"
MANDRILL_KEY = "mandrill-test-webhook-key"
MAILERSEND_SECRET = "mailersend-test-signing-secret"
MAILTRAP_SECRET = "mailtrap-test-signing-secret"
RECIPIENT = "ana.lopez@example.org"
FORGED_RECIPIENT = "victim@example.org"


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@cache
def _postal_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def _sendgrid_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _public_b64(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def anymail_settings(basic_auth: bool = True) -> dict[str, Any]:
    """ANYMAIL as ``goteo.channels.email.webhook_config`` builds it from the GOTEO_* variables."""
    settings: dict[str, Any] = {
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
        "MANDRILL_WEBHOOK_KEY": MANDRILL_KEY,
        "POSTAL_WEBHOOK_KEY": _public_b64(_postal_key()),
        "MAILERSEND_SIGNING_SECRET": MAILERSEND_SECRET,
        "MAILTRAP_TRACKING_SECRET": MAILTRAP_SECRET,
        "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": _public_b64(_sendgrid_key()),
    }
    if basic_auth:
        settings["WEBHOOK_SECRET"] = [BASIC_AUTH]
    return settings


def payload_text(name: str, message_id: str) -> str:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return text.replace("{{MESSAGE_ID}}", message_id).replace(
        "{{MESSAGE_ID_BARE}}", message_id.strip("<>")
    )


def _auth(credentials: str | None) -> dict[str, str]:
    if credentials is None:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def _hex_hmac(key: str, message: bytes, digest: Any = hashlib.sha256) -> str:
    return hmac.new(key.encode(), message, digest).hexdigest()


# Each signer turns the payload text into the request the provider would send.
def _mailgun(text: str, now: float, key: str = MAILGUN_KEY) -> Request:
    data = json.loads(text)
    signature = data["signature"]
    signature["timestamp"] = str(int(now))
    signature["signature"] = _hex_hmac(key, (signature["timestamp"] + signature["token"]).encode())
    return Request("/webhooks/mailgun/tracking/", json.dumps(data).encode())


def _mandrill(text: str, now: float, key: str = MANDRILL_KEY, auth: str | None = None) -> Request:
    events = json.dumps(json.loads(text))
    userinfo = f"{auth}@" if auth else ""
    url = f"http://{userinfo}testserver/webhooks/mandrill/tracking/"
    digest = hmac.new(key.encode(), (url + "mandrill_events" + events).encode(), hashlib.sha1)
    return Request(
        "/webhooks/mandrill/tracking/",
        urlencode({"mandrill_events": events}).encode(),
        "application/x-www-form-urlencoded",
        {"X-Mandrill-Signature": base64.b64encode(digest.digest()).decode()},
    )


def _postal(text: str, now: float, key: rsa.RSAPrivateKey | None = None) -> Request:
    body = text.encode()
    signature = (key or _postal_key()).sign(body, padding.PKCS1v15(), hashes.SHA1())
    headers = {"X-Postal-Signature": base64.b64encode(signature).decode()}
    return Request("/webhooks/postal/tracking/", body, headers=headers)


def _hmac_body(path: str, header: str, secret: str) -> Callable[..., Request]:
    def sign(text: str, now: float, key: str = secret) -> Request:
        body = text.encode()
        return Request(path, body, headers={header: _hex_hmac(key, body)})

    return sign


def _sendgrid(text: str, now: float, key: ec.EllipticCurvePrivateKey | None = None) -> Request:
    body = text.encode()
    timestamp = str(int(now))
    signed = (key or _sendgrid_key()).sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    headers = {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signed).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }
    return Request("/webhooks/sendgrid/tracking/", body, headers=headers)


def _resend(text: str, now: float) -> Request:
    event_id = "msg_" + hashlib.sha256(text.encode()).hexdigest()[:27]
    headers = {"svix-id": event_id, "svix-timestamp": str(int(now))}
    return Request("/webhooks/resend/tracking/", text.encode(), headers=headers)


def _plain(esp: str) -> Callable[..., Request]:
    def send(text: str, now: float) -> Request:
        return Request(f"/webhooks/{esp}/tracking/", text.encode())

    return send


SIGNERS: dict[str, Callable[..., Request]] = {
    "mailgun": _mailgun,
    "mandrill": _mandrill,
    "postal": _postal,
    "mailersend": _hmac_body("/webhooks/mailersend/tracking/", "Signature", MAILERSEND_SECRET),
    "mailtrap": _hmac_body("/webhooks/mailtrap/tracking/", "Mailtrap-Signature", MAILTRAP_SECRET),
    "sendgrid": _sendgrid,
    "resend": _resend,
    "postmark": _plain("postmark"),
    "brevo": _plain("brevo"),
    "mailjet": _plain("mailjet"),
    "sparkpost": _plain("sparkpost"),
}
SIGNED = ("mailgun", "mandrill", "postal", "mailersend", "mailtrap", "sendgrid")


def genuine(
    esp: str, fixture: str, message_id: str, *, auth: str | None = BASIC_AUTH, now: float = 0
) -> Request:
    """The request ``esp`` sends for ``fixture``, signed now, with basic auth if given."""
    text = payload_text(fixture, message_id)
    when = now or time.time()
    request = _mandrill(text, when, auth=auth) if esp == "mandrill" else SIGNERS[esp](text, when)
    return replace(request, headers={**request.headers, **_auth(auth)})


def forgeries(esp: str, fixture: str, message_id: str) -> dict[str, Request]:
    """Requests that must be refused: wrong or missing auth, bad signatures, altered bodies."""
    real = genuine(esp, fixture, message_id)
    forged = {
        "no basic auth": genuine(esp, fixture, message_id, auth=None),
        "wrong basic auth": genuine(esp, fixture, message_id, auth="goteo-hooks:guessed"),
    }
    if esp not in SIGNED:
        return forged
    text = payload_text(fixture, message_id)
    tampered = text.replace(RECIPIENT, FORGED_RECIPIENT).encode()
    now = time.time()
    auth = _auth(BASIC_AUTH)
    if esp == "mailgun":
        # Mailgun signs timestamp + token, not the body: a forger who changes either fails.
        wrong_key = _mailgun(text, now, key="not-the-signing-key")
        data = json.loads(real.body)
        data["signature"]["timestamp"] = str(int(now) + 1)
        moved = json.dumps(data).encode()
        forged["signed with another key"] = replace(wrong_key, headers=auth)
        forged["timestamp changed after signing"] = replace(real, body=moved)
        forged["signed an hour ago"] = genuine(esp, fixture, message_id, now=now - 3600)
        return forged
    if esp == "mandrill":
        other = _mandrill(text, now, key="not-the-webhook-key", auth=BASIC_AUTH)
        altered = _mandrill(text.replace(RECIPIENT, FORGED_RECIPIENT), now, auth=BASIC_AUTH)
        forged["signed with another key"] = replace(other, headers={**other.headers, **auth})
        forged["body changed after signing"] = replace(real, body=altered.body)
        return forged
    other_key: Any = {
        "postal": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "sendgrid": ec.generate_private_key(ec.SECP256R1()),
    }.get(esp, "not-the-signing-secret")
    wrong = SIGNERS[esp](text, now, key=other_key)
    forged["signed with another key"] = replace(wrong, headers={**wrong.headers, **auth})
    forged["body changed after signing"] = replace(real, body=tampered)
    if esp == "sendgrid":
        forged["signed an hour ago"] = genuine(esp, fixture, message_id, now=now - 3600)
    return forged
