"""The public pages, fuzzed: ``/u/``, ``/p/``, ``/c/``, ``/l/``, ``/o/`` with mutated and made-up
tokens, ``/f/`` and ``/t/collect`` with any form or body, every method.

Never a 5xx; a token that is not genuine changes nothing (the contact, its subscriptions, the
message's opens and clicks, the events); the log holds no traceback.
``GOTEO_FUZZ_EXAMPLES`` sets the examples per case (docs/security.md).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import assume, given
from hypothesis import strategies as st
from tests.integration.bounce_helpers import campaign, sent_delivery
from tests.integration.form_helpers import apply_form
from tests.integration.fuzzing import Records, assert_no_traceback, fuzz_settings
from tests.integration.webhook_fuzz_requests import json_values

from goteo.campaigns.models import Delivery
from goteo.contacts.models import Contact, Event, Subscription
from goteo.contacts.tokens import (
    contact_from_preference_token,
    contact_from_unsubscribe_token,
    preference_token,
    unsubscribe_token,
)
from goteo.contacts.tracking_tokens import (
    click_token,
    open_token,
    read_click_token,
    read_open_token,
)

FUZZ = fuzz_settings(60)
METHODS = ("GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE")
URL_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="/?#"), max_size=40)


def state() -> tuple[Any, ...]:
    contacts = sorted(Contact.objects.values_list("email", "status", "locale", "paused_until"))
    topics = sorted(Subscription.objects.values_list("contact_id", "topic"))
    seen = sorted(Delivery.objects.values_list("id", "opened_at", "clicked_at"))
    return contacts, topics, seen, Event.objects.count()


@pytest.fixture
def genuine() -> list[str]:
    """The real tokens of one sent message (which has a link) and its contact."""
    delivery = sent_delivery("ana.lopez@example.org", campaign())
    Delivery.objects.filter(id=delivery.id).update(links=["https://shop.example/"])
    secret = django_settings.SECRET_KEY
    return [
        unsubscribe_token(delivery.contact_id),
        preference_token(delivery.contact_id),
        click_token(secret, delivery.id, 0),
        open_token(secret, delivery.id),
    ]


@st.composite
def mutated(draw: st.DrawFn, tokens: list[str]) -> str:
    token = draw(st.sampled_from(tokens))
    kind = draw(st.sampled_from(["flip", "cut", "grow", "any"]))
    if kind == "any":
        return draw(URL_TEXT.filter(bool))
    position = draw(st.integers(min_value=0, max_value=len(token) - 1))
    if kind == "cut":
        return token[:position] or "x"
    if kind == "grow":
        return token + draw(URL_TEXT.filter(bool))
    replacement = draw(st.sampled_from("AZaz09-_.~%"))
    if token[position] == replacement:
        replacement = "Q" if replacement != "Q" else "R"
    return token[:position] + replacement + token[position + 1 :]


def verifies(token: str) -> bool:
    secret = django_settings.SECRET_KEY
    return (
        contact_from_unsubscribe_token(token) is not None
        or contact_from_preference_token(token) is not None
        or read_click_token(secret, token) is not None
        or read_open_token(secret, token) is not None
    )


def call(method: str, path: str, body: bytes = b"", content_type: str = "") -> int:
    client = Client(raise_request_exception=False)
    response = client.generic(method, path, body, content_type or "application/octet-stream")
    return int(response.status_code)


@pytest.mark.django_db
def test_tokens_that_are_not_genuine_change_nothing(genuine: list[str], log: Records) -> None:
    @FUZZ
    @given(
        prefix=st.sampled_from(["/u/", "/p/", "/c/", "/l/", "/o/"]),
        token=mutated(genuine),
        method=st.sampled_from(METHODS),
        form=st.dictionaries(st.sampled_from(["action", "topics", "locale", "pause"]), URL_TEXT),
    )
    def forged(prefix: str, token: str, method: str, form: dict[str, str]) -> None:
        assume(not verifies(token))  # a flip in base64's unused bits leaves the same token
        before = state()
        body = "&".join(f"{k}={v}" for k, v in form.items()).encode()
        path = prefix + quote(token, safe="")
        status = call(method, path, body, "application/x-www-form-urlencoded")
        assert status < 500, (status, path)
        assert state() == before, path

    forged()
    assert_no_traceback(log)


@pytest.mark.django_db
def test_forms_and_collect_take_any_body_without_failing(log: Records) -> None:
    apply_form()

    @FUZZ
    @given(
        path=st.sampled_from(["/f/signup", "/f/signup/submit", "/f/nothing/submit", "/t/collect"]),
        method=st.sampled_from(METHODS),
        body=st.one_of(
            json_values.map(lambda v: json.dumps(v).encode()),
            st.binary(max_size=300),
            st.dictionaries(
                st.sampled_from(
                    ["email", "first_name", "topics", "consent", "website", "_goteo_aid"]
                ),
                URL_TEXT,
            ).map(lambda d: "&".join(f"{k}={v}" for k, v in d.items()).encode()),
        ),
        content_type=st.sampled_from(
            ["application/x-www-form-urlencoded", "text/plain", "application/json", ""]
        ),
    )
    def anything(path: str, method: str, body: bytes, content_type: str) -> None:
        status = call(method, path, body, content_type)
        assert status < 500, (status, path, body)

    anything()
    assert_no_traceback(log)
