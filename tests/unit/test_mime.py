"""Message assembly: what ``build_message`` writes, Python's email parser reads back intact."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from goteo.channels.base import OutgoingEmail
from goteo.channels.email.mime import (
    InvalidMessage,
    build_message,
    clean_phrase,
    clean_unstructured,
    encode_address,
)

DATE = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
TRICKY = st.sampled_from(
    [
        "",
        " ",
        "  leading and trailing  ",
        "=?utf-8?q?not_an_encoded_word?=",
        "=?",
        'Ana "Nani" O\'Brien, Jr. <boss@example.com>',
        "back\\slash",
        "مرحبا بالعالم",  # right-to-left
        "שלום עולם",
        "👩‍👩‍👧‍👦 family 🇪🇸 flags",
        "e\u0301\u0301 combining",
        "x" * 200,
        "word " * 60,
        "ü" * 100,
        "tab\tand\x0bvertical\x0cfeed\x1cseparators\x85\u2028\u2029",
    ]
)
TEXT = st.one_of(TRICKY, st.text(max_size=300))


def message(**changes: object) -> OutgoingEmail:
    fields: dict[str, object] = {
        "delivery_id": 7,
        "message_id": "7.welcome@goteo.example",
        "from_addr": "Goteo Shop <shop@goteo.example>",
        "to_addr": "ana@example.com",
        "to_name": "Ana",
        "subject": "Welcome",
        "html": "<p>Hello</p>",
        "text": "Hello\n",
    }
    fields.update(changes)
    return OutgoingEmail(**fields)  # type: ignore[arg-type]


def parse(data: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(parsed, EmailMessage)
    assert not parsed.defects
    return parsed


def part_text(parsed: EmailMessage, subtype: str) -> str:
    part = parsed.get_body((subtype,))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def display_name(data: bytes) -> str:
    """The To display name, decoded as RFC 2047 says: whitespace between two encoded-words
    is dropped. (The structured-header parser of ``email.policy.default`` keeps it, so a
    name long enough to span two encoded-words would read back with an extra space.)"""
    raw = BytesParser(policy=policy.compat32).parsebytes(data, headersonly=True)["to"]
    phrase = str(raw).rpartition("<")[0].strip()
    if phrase.startswith('"'):
        return parseaddr(f"{phrase} <x@example.com>")[0]
    return str(make_header(decode_header(phrase)))


def header_block(data: bytes) -> list[bytes]:
    head, sep, _ = data.partition(b"\r\n\r\n")
    assert sep
    return head.split(b"\r\n")


def expected_body(text: str) -> str:
    return re.sub(r"\r\n|\r", "\n", text)


def assert_well_formed(data: bytes) -> None:
    assert data.isascii()
    assert b"\r" not in data.replace(b"\r\n", b"")
    assert b"\n" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")
    assert all(len(line) <= 998 for line in lines)
    for line in header_block(data):
        if b"=?utf-8?b?" in line:
            assert len(line) <= 78, line


@given(subject=TEXT, name=TEXT)
@example(subject="Re: " + "plain words " * 20, name="A" * 90)
def test_subject_and_display_name_round_trip(subject: str, name: str) -> None:
    data = build_message(message(subject=subject, to_name=name), DATE)
    assert_well_formed(data)
    parsed = parse(data)
    assert str(parsed["subject"]) == clean_unstructured(subject)
    (address,) = parsed["to"].addresses
    assert address.addr_spec == "ana@example.com"
    assert display_name(data) == clean_phrase(name)
    assert all(len(line) <= 78 for line in header_block(data))


@given(text=TEXT, html=TEXT)
@example(text="--=_0123\n.\n..\nFrom me\n", html="<p>" + "é" * 500 + "</p>")
@example(text="a" * 1000, html="=" * 100)
@example(text="Привет, мир! " * 40, html="")
def test_bodies_round_trip(text: str, html: str) -> None:
    data = build_message(message(text=text, html=html), DATE)
    assert_well_formed(data)
    parsed = parse(data)
    assert parsed.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in parsed.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    assert part_text(parsed, "plain") == expected_body(text)
    assert part_text(parsed, "html") == expected_body(html)


@given(injected=st.sampled_from(["\r\nBcc: evil@example.com", "\nBcc: evil@example.com", "\r"]))
def test_line_breaks_never_make_headers(injected: str) -> None:
    data = build_message(message(subject=f"Hi{injected}", to_name=f"Ana{injected}"), DATE)
    parsed = parse(data)
    assert parsed["bcc"] is None
    assert len(parsed.get_all("subject", [])) == 1
    assert b"\r\nBcc:" not in data


def test_headers_present_and_ascii_bodies_stay_readable() -> None:
    msg = message(headers={"List-Unsubscribe": "<https://goteo.example/u/abc>"})
    data = build_message(msg, DATE)
    parsed = parse(data)
    assert parsed["from"].addresses[0].display_name == "Goteo Shop"
    assert parsed["date"].datetime == DATE
    assert parsed["message-id"] == "<7.welcome@goteo.example>"
    assert parsed["mime-version"] == "1.0"
    assert parsed["list-unsubscribe"] == "<https://goteo.example/u/abc>"
    assert b"Content-Transfer-Encoding: 7bit\r\n\r\nHello\r\n" in data


def test_long_plain_subject_folds_at_spaces() -> None:
    subject = " ".join(f"word{i}" for i in range(40))
    data = build_message(message(subject=subject), DATE)
    subject_lines = [line for line in header_block(data) if line.startswith((b"Subject", b" "))]
    assert len(subject_lines) > 1
    assert b"=?" not in b"".join(subject_lines)
    assert str(parse(data)["subject"]) == subject


def test_international_domain_is_idna_encoded() -> None:
    assert encode_address("ana@bücher.example") == "ana@xn--bcher-kva.example"
    data = build_message(message(to_addr="ana@bücher.example"), DATE)
    assert parse(data)["to"].addresses[0].domain == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    "address", ["ánä@example.com", "no-at-sign", "a b@example.com", "a@exa mple.com", "@x.com"]
)
def test_bad_recipients_are_refused(address: str) -> None:
    with pytest.raises(InvalidMessage):
        build_message(message(to_addr=address), DATE)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Campaign": "welcome\r\nBcc: evil@example.com"},
        {"Bcc": "evil@example.com"},
        {"Subject": "again"},
        {"Bad Name": "x"},
    ],
)
def test_bad_extra_headers_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(InvalidMessage):
        build_message(message(headers=headers), DATE)


def test_non_ascii_extra_header_and_reply_to() -> None:
    msg = message(headers={"X-Note": "café ☕", "Reply-To": "Zoë <zoe@example.com>"})
    parsed = parse(build_message(msg, DATE))
    assert str(parsed["x-note"]) == "café ☕"
    assert parsed["reply-to"].addresses[0].display_name == "Zoë"


def test_message_id_is_validated() -> None:
    with pytest.raises(InvalidMessage):
        build_message(message(message_id="no at sign"), DATE)
    data = build_message(message(message_id="<1.a@b.example>"), DATE)
    assert parse(data)["message-id"] == "<1.a@b.example>"


def test_boundary_differs_between_messages() -> None:
    first, second = (build_message(message(), DATE) for _ in range(2))
    assert parse(first).get_boundary() != parse(second).get_boundary()
