"""Open and click tokens: they round-trip, and nothing but the exact token reads back."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goteo.contacts.tracking_tokens import (
    MAC_BYTES,
    MAIL_TOKEN_LENGTH,
    ClickToken,
    click_token,
    mail_token,
    open_token,
    read_click_token,
    read_mail_token,
    read_open_token,
)

SECRET = "unit-secret"
ids = st.integers(min_value=1, max_value=2**63 - 1)
indexes = st.integers(min_value=0, max_value=0xFFFF)


@given(ids, indexes)
def test_click_tokens_round_trip_and_are_url_safe(delivery_id: int, index: int) -> None:
    token = click_token(SECRET, delivery_id, index)
    assert read_click_token(SECRET, token) == ClickToken(delivery_id, index)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@given(ids)
def test_open_tokens_round_trip(delivery_id: int) -> None:
    assert read_open_token(SECRET, open_token(SECRET, delivery_id)) == delivery_id


def test_the_mac_is_at_least_64_bits() -> None:
    raw = base64.urlsafe_b64decode(click_token(SECRET, 7, 0) + "==")
    assert MAC_BYTES * 8 >= 64
    assert len(raw) == 8 + 2 + MAC_BYTES


def test_another_secret_reads_nothing() -> None:
    assert read_click_token("other", click_token(SECRET, 7, 1)) is None
    assert read_open_token("other", open_token(SECRET, 7)) is None


def test_one_kind_is_never_read_as_the_other() -> None:
    assert read_click_token(SECRET, open_token(SECRET, 7)) is None
    assert read_open_token(SECRET, click_token(SECRET, 7, 0)) is None


@given(ids, indexes, st.data())
def test_every_single_character_change_is_refused(
    delivery_id: int, index: int, data: st.DataObject
) -> None:
    token = click_token(SECRET, delivery_id, index)
    position = data.draw(st.integers(0, len(token) - 1))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=."
    char = data.draw(st.sampled_from([c for c in alphabet if c != token[position]]))
    changed = token[:position] + char + token[position + 1 :]
    assert read_click_token(SECRET, changed) is None
    assert read_click_token(SECRET, token[:position] + token[position + 1 :]) is None
    assert read_click_token(SECRET, token[:position] + char + token[position:]) is None


def test_a_mac_moved_onto_another_payload_is_refused() -> None:
    one, two = click_token(SECRET, 7, 0), click_token(SECRET, 8, 0)
    raw_one = base64.urlsafe_b64decode(one + "==")
    raw_two = base64.urlsafe_b64decode(two + "==")
    forged = base64.urlsafe_b64encode(raw_two[:10] + raw_one[10:]).rstrip(b"=").decode()
    assert read_click_token(SECRET, forged) is None


def test_non_canonical_spellings_are_refused() -> None:
    token = click_token(SECRET, 7, 3)
    standard = token.replace("-", "+").replace("_", "/")
    if standard != token:
        assert read_click_token(SECRET, standard) is None
    assert read_click_token(SECRET, token + "==") is None
    assert read_click_token(SECRET, f" {token}") is None
    assert read_click_token(SECRET, token.encode().hex()) is None
    assert read_click_token(SECRET, "") is None
    assert read_click_token(SECRET, "é" * len(token)) is None


def test_indexes_out_of_range_cannot_be_signed() -> None:
    with pytest.raises(ValueError):
        click_token(SECRET, 1, 0x10000)
    with pytest.raises(ValueError):
        click_token(SECRET, 1, -1)


def test_mail_tokens_are_short_signed_and_strict() -> None:
    token = mail_token("s", 123_456)
    assert len(token) == MAIL_TOKEN_LENGTH == 21 and token == token.lower()
    assert read_mail_token("s", token) == 123_456
    assert read_mail_token("other", token) is None
    assert read_mail_token("s", token.upper()) is None
    for i in range(len(token)):
        flipped = token[:i] + ("a" if token[i] != "a" else "b") + token[i + 1 :]
        assert read_mail_token("s", flipped) is None
    assert read_mail_token("s", token[:-1]) is None
    assert read_mail_token("s", mail_token("s", 7)[:5] + token[5:]) is None
