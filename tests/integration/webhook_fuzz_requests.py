"""Hostile webhook requests for the fuzz tests: Hypothesis strategies over bodies, content types
and the signature and timestamp fields, signed with the test keys or forged.

A request is built from the provider's recorded payload, mutated (a value replaced, a key
dropped), or from any JSON or bytes at all; then it is either authenticated the provider's way
(basic auth and a correct signature over exactly these bytes) or not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from functools import cache
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from hypothesis import strategies as st
from tests.integration.webhook_requests import (
    BASIC_AUTH,
    MAILERSEND_SECRET,
    MAILGUN_KEY,
    MAILTRAP_SECRET,
    MANDRILL_KEY,
    Request,
    _auth,
    _postal_key,
    _sendgrid_key,
    payload_text,
)

CONTENT_TYPES = (
    "application/json",
    "application/json",
    "application/x-www-form-urlencoded",
    "text/plain",
    "multipart/form-data; boundary=xyz",
    "application/octet-stream",
    "",
)
ODD_TIMESTAMPS = ("nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e999", "", " ", "0x10")
MESSAGE_ID = "<goteo.1.0123456789abcdef@goteo.example.com>"

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["nan", "inf", "\x00", "a@b", "<x@y>", "bounce", "spamreport", "-1"])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
timestamps = (
    st.just("now")
    | st.just("now")
    | st.sampled_from(ODD_TIMESTAMPS)
    | st.integers(min_value=-(2**64), max_value=2**64).map(str)
    | st.floats().map(str)
    | st.text(max_size=12)
    | st.just("now")
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document: dictionary keys and list positions."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _mutated(document: Any, path: tuple[Any, ...], replacement: Any, drop: bool) -> Any:
    if not path:
        return replacement
    copy = json.loads(json.dumps(document))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    if drop and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return copy


@st.composite
def documents(draw: st.DrawFn, esp: str) -> Any:
    """The provider's bounce or complaint, a value in it replaced or dropped (once or twice)."""
    fixture = draw(st.sampled_from([f"{esp}_bounce.json", f"{esp}_complaint.json"]))
    if esp == "postal" and fixture.endswith("complaint.json"):
        fixture = "postal_failed.json"
    document = json.loads(payload_text(fixture, MESSAGE_ID))
    for _ in range(draw(st.integers(min_value=1, max_value=2))):
        path = draw(st.sampled_from(_paths(document)))
        document = _mutated(document, path, draw(json_values), draw(st.booleans()))
    return document


def genuine(esp: str) -> Request:
    """The provider's own bounce, signed and fresh: what the server must accept."""
    document = json.loads(payload_text(f"{esp}_bounce.json", MESSAGE_ID))
    return build(esp, document, content_type="application/json", timestamp="now", authentic=True)


@st.composite
def bodies(draw: st.DrawFn, esp: str) -> Any:
    """What a hostile sender might post: a mutated payload, any JSON, or any bytes."""
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "json", "bytes", "text"]))
    if kind == "mutated":
        return draw(documents(esp))
    if kind == "json":
        return draw(json_values)
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")


@cache
def _other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def _other_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _encoded(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    return json.dumps(body).encode()


def _hex(key: str, message: bytes, digest: Any = hashlib.sha256) -> str:
    return hmac.new(key.encode(), message, digest).hexdigest()


def build(esp: str, body: Any, *, content_type: str, timestamp: str, authentic: bool) -> Request:
    """The request: signed over exactly these bytes and with basic auth when ``authentic``,
    otherwise with a guessed password and a signature made with another key."""
    when = str(int(time.time())) if timestamp == "now" else timestamp
    auth = BASIC_AUTH if authentic else "goteo-hooks:guessed"
    path = f"/webhooks/{esp}/tracking/"
    headers: dict[str, str] = {}
    if esp == "mailgun" and isinstance(body, dict):
        token = str(
            body.get("signature", {}).get("token", "t")
            if isinstance(body.get("signature"), dict)
            else "t"
        )
        key = MAILGUN_KEY if authentic else "not-the-signing-key"
        body = body | {
            "signature": {
                "timestamp": when,
                "token": token,
                "signature": _hex(key, (when + token).encode("utf-8", "surrogatepass")),
            }
        }
    if esp == "mandrill" and not isinstance(body, bytes):
        body = urlencode({"mandrill_events": json.dumps(body)}).encode()
        content_type = "application/x-www-form-urlencoded"
    raw = _encoded(body)
    if esp == "mandrill":
        url = f"http://{auth}@testserver{path}"
        params = _form_params(raw, content_type)
        signed = url + "".join(key + params[key] for key in sorted(params))
        key = MANDRILL_KEY if authentic else "not-the-webhook-key"
        digest = hmac.new(key.encode(), signed.encode(), hashlib.sha1).digest()
        headers["X-Mandrill-Signature"] = base64.b64encode(digest).decode()
    elif esp == "postal":
        rsa_signer = _postal_key() if authentic else _other_rsa_key()
        signature = rsa_signer.sign(raw, padding.PKCS1v15(), hashes.SHA1())
        headers["X-Postal-Signature"] = base64.b64encode(signature).decode()
    elif esp in ("mailersend", "mailtrap"):
        secret = {"mailersend": MAILERSEND_SECRET, "mailtrap": MAILTRAP_SECRET}[esp]
        header = {"mailersend": "Signature", "mailtrap": "Mailtrap-Signature"}[esp]
        headers[header] = _hex(secret if authentic else "not-the-secret", raw)
    elif esp == "sendgrid":
        ec_signer = _sendgrid_key() if authentic else _other_ec_key()
        signed_bytes = when.encode("utf-8", "surrogatepass") + raw
        signature = ec_signer.sign(signed_bytes, ec.ECDSA(hashes.SHA256()))
        headers["X-Twilio-Email-Event-Webhook-Signature"] = base64.b64encode(signature).decode()
        headers["X-Twilio-Email-Event-Webhook-Timestamp"] = when
    return Request(path, raw, content_type, headers | _auth(auth))


def _form_params(raw: bytes, content_type: str) -> dict[str, str]:
    """The form fields Django reads from this body, as Mandrill signs them."""
    from django.http import QueryDict

    if not content_type.startswith("application/x-www-form-urlencoded"):
        return {}
    try:
        return QueryDict(raw).dict()
    except UnicodeDecodeError:
        return {}


@st.composite
def requests(draw: st.DrawFn, esp: str, authentic: bool) -> Request:
    return build(
        esp,
        draw(bodies(esp)),
        content_type=draw(st.sampled_from(CONTENT_TYPES)),
        timestamp=draw(timestamps),
        authentic=authentic,
    )
