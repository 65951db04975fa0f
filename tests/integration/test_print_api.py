"""The print-and-mail API adapter against a strict loopback server in Lob's shape."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date

import pytest
from tests.integration.print_api_server import KEY, PrintApi

from goteo.channels.base import Permanent, Retryable, Throttled
from goteo.channels.direct_mail.formats import page_format
from goteo.channels.direct_mail.lob import LobChannel, MailDelivered, idempotency_key
from goteo.channels.direct_mail.render import Mailer, MailerTemplate, render_mailer
from goteo.contacts.postal import PostalAddress, check_postal

SECRET = "print-secret"


def _address(data: Mapping[str, object]) -> PostalAddress:
    address, errors = check_postal(data)
    assert address is not None, errors
    return address


SENDER = _address(
    {"name": "Goteo", "lines": ["Calle Mayor 1"], "city": "Madrid", "postal_code": "28013",
     "region": "Madrid", "country": "ES"}
)  # fmt: skip
ANN = {"name": "Ann Lee", "lines": ["1600 Amphitheatre Pkwy", "Suite 2"],
       "city": "Mountain View", "region": "CA", "postal_code": "94043",
       "country": "US"}  # fmt: skip


def _mailer(delivery_id: int, fmt: str = "letter") -> Mailer:
    return render_mailer(
        MailerTemplate(html="<p>Hello {{ contact.first_name }}</p>"),
        {"contact": {"first_name": "Ann"}},
        delivery_id=delivery_id,
        fmt=page_format(fmt),
        address=_address(ANN),
        sender="Goteo",
        url=f"https://go.example.com/m/{delivery_id}",
    )


OPEN: list[LobChannel] = []


@pytest.fixture
def api() -> Iterator[PrintApi]:
    server = PrintApi()
    yield server
    while OPEN:
        OPEN.pop().close()
    server.close()


def _channel(api: PrintApi, key: str = KEY, url: str = "") -> LobChannel:
    channel = LobChannel(url or api.url, key, SECRET, SENDER, timeout=5)
    OPEN.append(channel)
    return channel


def test_letter_request_shape_and_receipt(api: PrintApi) -> None:
    channel = _channel(api)
    result = channel.deliver(_mailer(41))
    assert result == MailDelivered(
        41, "ltr_0001", provider_id="ltr_0001", expected_in_home=date(2026, 12, 10)
    )
    [request] = api.requests
    assert request["path"] == "/v1/letters"
    assert request["key"] == idempotency_key(SECRET, 41)
    fields = request["fields"]
    assert fields["to[address_line1]"] == b"1600 Amphitheatre Pkwy"
    assert fields["to[address_line2]"] == b"Suite 2"
    assert (fields["to[address_state]"], fields["to[address_zip]"]) == (b"CA", b"94043")
    assert fields["from[address_country]"] == b"ES"
    assert fields["metadata[goteo_delivery]"] == b"41"
    assert fields["file"].startswith(b"%PDF-")


def test_postcard_sends_both_sides(api: PrintApi) -> None:
    result = _channel(api).deliver(_mailer(42, "postcard-6x9"))
    assert isinstance(result, MailDelivered) and result.provider_id == "psc_0001"
    [request] = api.requests
    assert request["path"] == "/v1/postcards" and request["fields"]["size"] == b"6x9"
    assert request["fields"]["front"].startswith(b"%PDF-")


def test_dropped_connection_then_retry_makes_one_letter(api: PrintApi) -> None:
    channel = _channel(api)
    api.drop_next = 1
    first = channel.deliver(_mailer(43))
    assert isinstance(first, Retryable)  # no answer: the letter may or may not exist
    second = channel.deliver(_mailer(43))  # the worker's retry, a fresh connection
    assert isinstance(second, MailDelivered) and second.provider_id == "ltr_0001"
    assert len(api.requests) == 2
    assert api.requests[0]["key"] == api.requests[1]["key"] == idempotency_key(SECRET, 43)
    assert len(api.created) == 1  # one letter, not two
    # A new channel (a restarted worker) sends the same key again.
    again = _channel(api).deliver(_mailer(43))
    assert isinstance(again, MailDelivered) and len(api.created) == 1


def test_keys_differ_per_delivery_and_installation() -> None:
    assert idempotency_key(SECRET, 1) != idempotency_key(SECRET, 2)
    assert idempotency_key(SECRET, 1) != idempotency_key("other", 1)


@pytest.mark.parametrize(("status", "kind"), [(429, Throttled), (503, Retryable),
                                              (409, Retryable), (400, Permanent)])  # fmt: skip
def test_answers_are_typed(api: PrintApi, status: int, kind: type) -> None:
    api.status = status
    result = _channel(api).deliver(_mailer(44))
    assert type(result) is kind and isinstance(result, Retryable | Permanent)
    assert f"answered {status}: try again" in result.reason


def test_bad_key_is_permanent_and_named(api: PrintApi) -> None:
    result = _channel(api, "wrong").deliver(_mailer(45))
    assert isinstance(result, Permanent) and "401: bad API key" in result.reason


def test_unreachable_is_retryable(api: PrintApi) -> None:
    down = PrintApi()
    url = down.url
    down.close()
    result = _channel(api, url=url).deliver(_mailer(46))
    assert isinstance(result, Retryable) and "unreachable" in result.reason


def test_unsupported_postcard_size_is_permanent(api: PrintApi) -> None:
    result = _channel(api).deliver(_mailer(47, "postcard-a6"))
    assert isinstance(result, Permanent) and api.requests == []
