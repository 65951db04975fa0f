"""Tracked links and open pixels of real composed messages, and 10,000 tokens that must fail.

The messages are composed by the real Composer and sent by the real worker over SMTP; the
links are followed through Django's test client.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from tests.integration.tracking_helpers import EXPECTED_LINKS, SentMessage, path_of, send_tracked
from tests.smtp_sink import SmtpSink

from goteo.actions.engagement import opened_key
from goteo.campaigns.models import Delivery
from goteo.contacts.models import Event
from goteo.contacts.tracking_tokens import click_token, open_token

pytestmark = pytest.mark.django_db(transaction=True)
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
PAYLOADS = [
    "https://evil.example/", "//evil.example", "https:%2F%2Fevil.example", "..%2F..%2Fadmin",
    "javascript:alert(1)", "%0d%0aLocation:%20https://evil.example", "?next=https://evil.example",
    "%2e%2e", "\\\\evil.example", "0", "-1", "AAAA", "null", "%00", "é", " ", "''",
]  # fmt: skip


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_links_are_rewritten_and_resolve_to_their_urls(smtp_sink: SmtpSink, client: Client) -> None:
    (sent,) = send_tracked(smtp_sink, "ana")
    hrefs = sent.hrefs()
    tracked = [h for h in hrefs if "/l/" in h]
    # The two http(s) links of the HTML are tracked; mailto, the anchor, the preference and
    # unsubscribe links are exactly as the template wrote them.
    assert len(tracked) == 2
    assert "mailto:help@shop.example" in hrefs and "#top" in hrefs
    assert any(h.startswith("http://testserver/p/") for h in hrefs)
    assert any(h.startswith("http://testserver/u/") for h in hrefs)
    unsubscribe = str(sent.message["List-Unsubscribe"])
    assert "/u/" in unsubscribe and "/l/" not in unsubscribe
    assert sent.delivery.links == EXPECTED_LINKS
    for href, expected in zip(tracked, EXPECTED_LINKS, strict=False):
        response = client.get(path_of(href))
        assert response.status_code == 302
        assert response["Location"] == expected
    # The text part: the same URL shares its index; the new one gets the next.
    text_links = [line.split(": ", 1)[1] for line in sent.text.splitlines() if ": http" in line]
    assert text_links[0] == tracked[0]
    assert text_links[1].startswith("http://testserver/l/") and text_links[1].endswith(".")
    assert client.get(path_of(text_links[1][:-1]))["Location"] == EXPECTED_LINKS[2]
    assert text_links[2].startswith("http://testserver/u/")


def test_opens_and_clicks_are_events_and_counts(smtp_sink: SmtpSink, client: Client) -> None:
    ana, beto = send_tracked(smtp_sink, "ana", "beto")
    pixel = path_of(ana.pixel_url())
    assert client.head(pixel).status_code == 200  # looking is not opening
    assert Delivery.objects.get(id=ana.delivery.id).opens == 0
    for _ in range(3):
        response = client.get(pixel)
        assert response.status_code == 200 and response["Content-Type"] == "image/gif"
        assert "no-store" in response["Cache-Control"]
    delivery = Delivery.objects.get(id=ana.delivery.id)
    assert (delivery.opens, delivery.clicks) == (3, 0) and delivery.opened_at is not None
    opened = Event.objects.filter(name="opened", delivery_id=ana.delivery.id)
    assert opened.count() == 1  # one event per delivery, however often it is opened
    assert opened.get().contact_id == ana.delivery.contact_id
    assert opened.get().source == "email"
    assert opened.get().idempotency_key == opened_key(ana.delivery.id)

    # Beto's images were blocked: his click counts as the open too, once.
    link = path_of(next(h for h in beto.hrefs() if "/l/" in h))
    assert client.head(link).status_code == 302  # a scanner checking the link
    assert client.get(link, headers={"Sec-Purpose": "prefetch"}).status_code == 302
    assert Delivery.objects.get(id=beto.delivery.id).clicks == 0
    client.get(link)
    client.get(link)
    delivery = Delivery.objects.get(id=beto.delivery.id)
    assert (delivery.opens, delivery.clicks) == (1, 2)
    assert delivery.clicked_at is not None and delivery.opened_at == delivery.clicked_at
    clicks = Event.objects.filter(name="clicked", delivery_id=beto.delivery.id)
    assert clicks.count() == 2
    assert clicks.first() is not None
    assert clicks.first().properties == {"url": EXPECTED_LINKS[0], "link": 0}  # type: ignore[union-attr]
    assert Event.objects.filter(name="opened", delivery_id=beto.delivery.id).count() == 1
    assert not Event.objects.filter(delivery_id=ana.delivery.id, name="clicked").exists()


def test_tracking_can_be_turned_off(smtp_sink: SmtpSink, settings: Any) -> None:
    settings.GOTEO_TRACK_OPENS = False
    settings.GOTEO_TRACK_CLICKS = False
    (sent,) = send_tracked(smtp_sink, "ana")
    assert "/l/" not in sent.html and "/o/" not in sent.html and "/l/" not in sent.text
    assert EXPECTED_LINKS[0] in sent.hrefs()
    assert sent.delivery.links == []


class Mutator:
    """Ways to damage a valid token, each keeping it a single path segment once quoted."""

    def __init__(self, rng: random.Random, valid: list[str], sent: list[SentMessage]) -> None:
        self.rng = rng
        self.valid = valid
        self.sent = sent
        self.ways: list[Callable[[str], str]] = [
            self.flip, self.insert, self.delete, self.replace, self.truncate, self.extend,
            self.swap_payload, self.resign_out_of_range, self.resign_missing, self.wrong_secret,
            self.random_string, self.urlish, self.open_token_as_link, self.bit_flip,
        ]  # fmt: skip

    def __call__(self) -> str:
        return self.rng.choice(self.ways)(self.rng.choice(self.valid))

    def _pos(self, token: str) -> int:
        return self.rng.randrange(len(token))

    def flip(self, token: str) -> str:
        i = self._pos(token)
        swapped = token[i].swapcase() if token[i].isalpha() else self.rng.choice(ALPHABET)
        return token[:i] + swapped + token[i + 1 :]

    def insert(self, token: str) -> str:
        i = self.rng.randrange(len(token) + 1)
        return token[:i] + self.rng.choice(ALPHABET + "=+/.~%") + token[i:]

    def delete(self, token: str) -> str:
        i = self._pos(token)
        return token[:i] + token[i + 1 :]

    def replace(self, token: str) -> str:
        i = self._pos(token)
        return token[:i] + self.rng.choice(ALPHABET + "=+/.") + token[i + 1 :]

    def truncate(self, token: str) -> str:
        return token[: self.rng.randrange(len(token))]

    def extend(self, token: str) -> str:
        return token + "".join(self.rng.choices(ALPHABET, k=self.rng.randint(1, 8)))

    def bit_flip(self, token: str) -> str:
        raw = bytearray(base64.urlsafe_b64decode(token + "=="))
        raw[self.rng.randrange(len(raw))] ^= 1 << self.rng.randrange(8)
        return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()

    def swap_payload(self, token: str) -> str:
        """Another delivery's id or another index, keeping this token's MAC."""
        raw = base64.urlsafe_b64decode(token + "==")
        other = base64.urlsafe_b64decode(self.rng.choice(self.valid) + "==")
        delivery, index = int.from_bytes(raw[:8]), int.from_bytes(raw[8:10])
        if self.rng.random() < 0.5:
            payload = other[:8] + raw[8:10]
        else:
            payload = raw[:8] + (index + self.rng.randint(1, 4)).to_bytes(2)
        if payload == raw[:10]:
            payload = (delivery + 1).to_bytes(8) + raw[8:10]
        return base64.urlsafe_b64encode(payload + raw[10:]).rstrip(b"=").decode()

    def resign_out_of_range(self, token: str) -> str:
        """Genuinely signed, but past the links the message stored."""
        sent = self.rng.choice(self.sent)
        index = len(sent.delivery.links) + self.rng.randint(0, 100)
        return click_token(settings.SECRET_KEY, sent.delivery.id, index)

    def resign_missing(self, token: str) -> str:
        """Genuinely signed, for a delivery that does not exist."""
        return click_token(settings.SECRET_KEY, 10**9 + self.rng.randint(0, 10**6), 0)

    def wrong_secret(self, token: str) -> str:
        sent = self.rng.choice(self.sent)
        return click_token("not-the-secret", sent.delivery.id, self.rng.randrange(3))

    def random_string(self, token: str) -> str:
        return "".join(self.rng.choices(ALPHABET, k=self.rng.choice([len(token), 8, 43, 60])))

    def urlish(self, token: str) -> str:
        payload = self.rng.choice(PAYLOADS)
        return self.rng.choice([payload, token + payload, payload + token])

    def open_token_as_link(self, token: str) -> str:
        return open_token(settings.SECRET_KEY, self.rng.choice(self.sent).delivery.id)


@pytest.fixture
def sent(smtp_sink: SmtpSink) -> Iterator[list[SentMessage]]:
    yield send_tracked(smtp_sink, "ana", "beto", "chloe")


def test_ten_thousand_mutated_tokens_never_redirect(
    sent: list[SentMessage], client: Client
) -> None:
    valid = {
        token_of(h): sent_message.delivery.links
        for sent_message in sent
        for h in sent_message.hrefs()
        if "/l/" in h
    }
    expected = {
        token_of(h): EXPECTED_LINKS[i]
        for s in sent
        for i, h in enumerate(x for x in s.hrefs() if "/l/" in x)
    }
    assert len(valid) == 6
    rng = random.Random(20250305)
    mutate = Mutator(rng, sorted(valid), sent)
    tried = 0
    while tried < 10_000:
        token = mutate()
        if token in valid:
            continue
        path = f"/l/{quote(token, safe='')}"
        response = client.get(path)
        assert response.status_code == 404, (token, response.status_code)
        assert "Location" not in response, token
        tried += 1
    for token, url in expected.items():
        response = client.get(f"/l/{token}")
        assert response.status_code == 302 and response["Location"] == url
    # Nothing the mutations did was recorded: only the six genuine clicks.
    assert Event.objects.filter(name="clicked").count() == 6
    assert sum(Delivery.objects.values_list("clicks", flat=True)) == 6


def test_tampered_open_tokens_are_not_found(sent: list[SentMessage], client: Client) -> None:
    pixel = token_of(sent[0].pixel_url())
    for bad in (pixel[:-1], pixel + "A", pixel[::-1], click_token(settings.SECRET_KEY, 1, 0)):
        assert client.get(f"/o/{quote(bad, safe='')}").status_code == 404
    missing = open_token(settings.SECRET_KEY, 10**9)
    assert client.get(f"/o/{missing}").status_code == 404
    assert Delivery.objects.filter(opens__gt=0).count() == 0
