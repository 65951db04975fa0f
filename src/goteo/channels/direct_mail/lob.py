"""The print-and-mail API adapter, in the shape of Lob's letters and postcards API.

One mailer is one request: ``POST /v1/letters`` (the PDF as ``file``) or ``POST /v1/postcards``
(its two pages as ``front`` and ``back``), with the recipient and sender addresses, the
delivery id in ``metadata``, HTTP basic authentication with the API key, and an
``Idempotency-Key`` derived from the delivery id under the secret. The same delivery always
sends the same key, so a request retried after a dropped connection, a timeout or a crash
returns the letter the first one created instead of printing a second.

The answer is typed: 2xx is ``MailDelivered`` with the provider's id and the expected
delivery date; 408, 409, 425, 429, 5xx and network errors are retryable (429, and 503 with a
``Retry-After``, as ``Throttled``, with the header's wait); other 4xx are permanent, with the
provider's message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import io
import json
import uuid
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import pypdf

from goteo.channels.base import Delivered, Permanent, Result, Retryable, Throttled
from goteo.channels.direct_mail.render import Mailer
from goteo.channels.retry_after import retry_after, throttled_status
from goteo.contacts.postal import PostalAddress

RETRYABLE = frozenset({408, 409, 425, 429})
POSTCARD_SIZES = {"postcard-4x6": "4x6", "postcard-6x9": "6x9"}
TIMEOUT = 30.0


@dataclass(frozen=True)
class MailDelivered(Delivered):
    """Accepted by the provider: its id for the mailer, and when it should be in the home
    (``provider_id`` and ``expected_in_home``, as on every ``Delivered``)."""


def idempotency_key(secret: str, delivery_id: int) -> str:
    """The same delivery always sends the same key (and another installation never does)."""
    mac = hmac.new(secret.encode(), f"goteo.mail:{delivery_id}".encode(), hashlib.sha256)
    return f"goteo-{delivery_id}-{mac.hexdigest()[:24]}"


def lob_address(address: PostalAddress) -> dict[str, str]:
    lines = [*address.lines, ""]
    return {
        "name": address.name,
        "address_line1": lines[0],
        "address_line2": ", ".join(line for line in lines[1:] if line),
        "address_city": address.city,
        "address_state": address.region,
        "address_zip": address.postal_code,
        "address_country": address.country,
    }


class LobChannel:
    """Letters and postcards through a Lob-shaped HTTP API (``lob://KEY@host`` URLs)."""

    name = "lob"
    capabilities = frozenset({"pdf", "idempotency_key", "delivery_receipts", "expected_in_home"})

    def __init__(
        self,
        base_url: str,
        api_key: str,
        secret: str,
        sender: PostalAddress,
        *,
        timeout: float = TIMEOUT,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http(s) URL")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.prefix = parts.path.rstrip("/")
        self.api_key, self.secret, self.sender, self.timeout = api_key, secret, sender, timeout
        self._connection: http.client.HTTPConnection | None = None

    def deliver(self, mailer: Mailer) -> Result:
        """Send one mailer; never raises for a delivery problem."""
        if mailer.format.kind == "postcard" and mailer.format.key not in POSTCARD_SIZES:
            return Permanent(mailer.delivery_id, f"the provider prints no {mailer.format.key}")
        path, fields = self._request(mailer)
        body, content_type = _multipart(fields)
        headers = {
            "Authorization": "Basic " + base64.b64encode(f"{self.api_key}:".encode()).decode(),
            "Idempotency-Key": idempotency_key(self.secret, mailer.delivery_id),
            "Content-Type": content_type,
            "Accept": "application/json",
        }
        try:
            status, answer, wait = self._post(path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Retryable(mailer.delivery_id, f"print API unreachable: {exc!r}")
        return _result(mailer.delivery_id, status, answer, wait)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _request(self, mailer: Mailer) -> tuple[str, dict[str, str | bytes]]:
        fields: dict[str, str | bytes] = {
            "description": f"goteo delivery {mailer.delivery_id}",
            **_nested("to", lob_address(mailer.address)),
            **_nested("from", lob_address(self.sender)),
            "metadata[goteo_delivery]": str(mailer.delivery_id),
            "use_type": "marketing",
        }
        if mailer.format.kind == "letter":
            fields |= {"file": mailer.pdf, "color": "true", "address_placement": "top_first_page"}
            return f"{self.prefix}/v1/letters", fields
        front, back = _pages(mailer.pdf)
        fields |= {"front": front, "back": back, "size": POSTCARD_SIZES[mailer.format.key]}
        return f"{self.prefix}/v1/postcards", fields

    def _post(
        self, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes, str | None]:
        """The answer's status, body and ``Retry-After``."""
        if self._connection is None:
            kind = (
                http.client.HTTPSConnection
                if self.scheme == "https"
                else http.client.HTTPConnection
            )
            self._connection = kind(self.host, self.port, timeout=self.timeout)
        self._connection.request("POST", path, body=body, headers=headers)
        response = self._connection.getresponse()
        data = response.read()
        if response.will_close:
            self.close()
        return response.status, data, response.getheader("Retry-After")


def _result(delivery_id: int, status: int, answer: bytes, wait: str | None = None) -> Result:
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if 200 <= status < 300:
        provider_id = str(data.get("id", ""))
        return MailDelivered(
            delivery_id,
            provider_id,
            provider_id=provider_id,
            expected_in_home=_date(data.get("expected_delivery_date")),
        )
    error = data.get("error")
    message = error.get("message", "") if isinstance(error, dict) else ""
    reason = f"print API answered {status}" + (f": {message}" if message else "")
    if throttled_status(status, wait):
        return Throttled(delivery_id, reason, retry_after(wait))
    if status in RETRYABLE or status >= 500:
        return Retryable(delivery_id, reason)
    return Permanent(delivery_id, reason)


def _nested(name: str, values: dict[str, str]) -> dict[str, str | bytes]:
    """An object as form fields, the way the API reads them: ``to[address_city]``."""
    return {f"{name}[{key}]": value for key, value in values.items() if value}


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _pages(pdf: bytes) -> tuple[bytes, bytes]:
    """A postcard's two pages as two PDFs (the API takes the sides apart)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    sides = []
    for page in reader.pages[:2]:
        writer = pypdf.PdfWriter()
        writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
        sides.append(out.getvalue())
    return sides[0], sides[1]


def _multipart(fields: dict[str, str | bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        if isinstance(value, bytes):
            head = (
                f'Content-Disposition: form-data; name="{name}"; filename="{name}.pdf"\r\n'
                "Content-Type: application/pdf"
            )
            data = value
        else:
            head, data = f'Content-Disposition: form-data; name="{name}"', value.encode()
        parts.append(f"--{boundary}\r\n{head}\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
