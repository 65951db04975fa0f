"""Fast assembly of outgoing messages: multipart/alternative, text then HTML, UTF-8.

``email.message.EmailMessage`` manages a few hundred messages a second; this module builds
the same bytes with string joins and the C codecs of ``binascii``, tens of thousands a second.
The rules it keeps:

- CRLF line endings everywhere; every header line at most 78 characters where the content
  allows a fold (an unbreakable ASCII token, such as a long URL, may reach 998);
- non-ASCII display names and subjects as RFC 2047 encoded-words (UTF-8, base64), split on
  character boundaries; a header value never carries CR or LF (no header injection);
- bodies as 7bit when they are plain ASCII with short lines, else quoted-printable, or base64
  when that is shorter (mostly non-Latin text);
- addresses: non-ASCII domains in IDNA form; a non-ASCII local part is refused, because it
  would need SMTPUTF8, which Goteo does not use.
"""

from __future__ import annotations

import os
import re
from binascii import b2a_base64, b2a_qp
from datetime import datetime
from email.utils import format_datetime, parseaddr
from functools import lru_cache

import idna

from goteo.channels.base import OutgoingEmail

MAX_LINE = 78  # RFC 5322: lines SHOULD be at most 78 characters
HARD_LINE = 998  # RFC 5322: lines MUST be at most 998 characters
_SHORT_BODY_LINE = 76  # a 7bit body line longer than this is sent quoted-printable

# Headers this module writes itself; an extra header may not replace them.
RESERVED_HEADERS = frozenset(
    (
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    )
)
_ADDRESS_HEADERS = frozenset(("reply-to", "sender"))


class InvalidMessage(ValueError):
    """The message cannot be written as valid MIME; sending it again will not help."""


# Printable ASCII words of at most 70 characters separated by single spaces: a header value
# that can be written as it is and folded at its spaces.
_PLAIN = re.compile(r"[!-~]{1,70}(?: [!-~]{1,70})*\Z")
_PRINTABLE = re.compile(r"[ -~]*\Z")
_HEADER_NAME = re.compile(r"[!-9;-~]+\Z")
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\Z")
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>\Z")
_NOT_7BIT = re.compile(r"[^\t\n -~]")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def clean_phrase(name: str) -> str:
    """A display name as it is written: whitespace runs (line breaks included) to one space."""
    return " ".join(name.split())


def clean_unstructured(text: str) -> str:
    """A subject as it is written: each line break becomes a space, nothing else changes."""
    return _LINE_BREAKS.sub(" ", text)


def encode_address(addr: str) -> str:
    """``local@domain`` ready for headers and the SMTP envelope; raises ``InvalidMessage``."""
    local, at, domain = addr.strip().rpartition("@")
    if not at or not local or not domain:
        raise InvalidMessage(f"{addr!r} is not an email address")
    if not local.isascii():
        raise InvalidMessage(
            f"{addr!r} has a non-ASCII local part, which needs SMTPUTF8 (not supported)"
        )
    if not _LOCAL_PART.match(local):
        raise InvalidMessage(f"{addr!r}: the part before @ is not a plain address")
    if not domain.isascii():
        domain = _idna_domain(domain)
    if not _DOMAIN.match(domain):
        raise InvalidMessage(f"{addr!r}: {domain!r} is not a domain name")
    return f"{local}@{domain}"


@lru_cache(maxsize=4096)
def _idna_domain(domain: str) -> str:
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise InvalidMessage(f"{domain!r} is not a valid international domain: {exc}") from exc


@lru_cache(maxsize=64)
@lru_cache(maxsize=64)  # a worker sends from one or a few addresses, message after message
def parse_sender(from_addr: str) -> tuple[str, str]:
    """``(From header line, envelope sender)`` for ``"Name <addr>"`` or ``"addr"``."""
    name, addr = parseaddr(from_addr)
    if not addr:
        raise InvalidMessage(f"{from_addr!r} is not a sender address")
    address = encode_address(addr)
    return address_header("From", name, address), address


def encoded_words(text: str, first: int) -> list[str]:
    """``text`` as base64 encoded-words; the first at most ``first`` long, the others 75.

    Words are cut between UTF-8 sequences, never inside a character.
    """
    data = text.encode("utf-8")
    words: list[str] = []
    budget = min(max(first, 20), 75)
    start, end = 0, len(data)
    while start < end:
        stop = min(start + (budget - 12) // 4 * 3, end)
        while stop < end and data[stop] & 0xC0 == 0x80:  # a continuation byte: back off
            stop -= 1
        words.append(f"=?utf-8?b?{b2a_base64(data[start:stop], newline=False).decode()}?=")
        start, budget = stop, 75
    return words


def _fold_plain(text: str, first: int) -> str:
    """A ``_PLAIN`` value folded at its spaces: lines fit ``first``, then 77 after the indent."""
    if len(text) <= first:
        return text
    lines: list[str] = []
    line, budget = "", first
    for word in text.split(" "):
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= budget:
            line = f"{line} {word}"
        else:
            lines.append(line)
            line, budget = word, MAX_LINE - 1
    lines.append(line)
    return "\r\n ".join(lines)


def unstructured_header(name: str, text: str) -> str:
    """``Name: value`` for free text (a subject); line breaks in ``text`` become spaces."""
    text = clean_unstructured(text)
    first = MAX_LINE - len(name) - 2
    if not text or (_PLAIN.match(text) and "=?" not in text):
        return f"{name}: {_fold_plain(text, first)}"
    return f"{name}: " + "\r\n ".join(encoded_words(text, first))


def address_header(name: str, display_name: str, address: str) -> str:
    """``Name: "Display" <address>``; ``address`` must come from ``encode_address``."""
    display = clean_phrase(display_name)
    if not display:
        return f"{name}: {address}"
    first = MAX_LINE - len(name) - 2
    if _PLAIN.match(display) and "=?" not in display:
        quoted = display.replace("\\", "\\\\").replace('"', '\\"')
        line = f'"{quoted}" <{address}>'
        if len(line) <= first:
            return f"{name}: {line}"
    words = encoded_words(display, first)
    room = first if len(words) == 1 else MAX_LINE - 1
    if len(words[-1]) + len(address) + 3 <= room:
        words[-1] = f"{words[-1]} <{address}>"
    else:
        words.append(f"<{address}>")
    return f"{name}: " + "\r\n ".join(words)


def extra_header(name: str, value: str) -> str:
    """One caller-supplied header; refuses line breaks and headers this module owns."""
    if not _HEADER_NAME.match(name) or name.lower() in RESERVED_HEADERS:
        raise InvalidMessage(f"header name {name!r} cannot be set")
    if "\r" in value or "\n" in value:
        raise InvalidMessage(f"header {name} contains a line break")
    if name.lower() in _ADDRESS_HEADERS:
        display, addr = parseaddr(value)
        return address_header(name, display, encode_address(addr))
    if _PLAIN.match(value) and "=?" not in value:
        return f"{name}: {_fold_plain(value, MAX_LINE - len(name) - 2)}"
    if _PRINTABLE.match(value) and len(name) + 2 + len(value) <= HARD_LINE:
        return f"{name}: {value}"  # e.g. one long URL: nowhere to fold, still valid
    return unstructured_header(name, value)


def message_id_header(message_id: str) -> str:
    mid = message_id.strip()
    if not mid.startswith("<"):
        mid = f"<{mid}>"
    if not _MESSAGE_ID.match(mid):
        raise InvalidMessage(f"{message_id!r} is not a Message-ID (id@domain)")
    return f"Message-ID: {mid}"


def encode_body(text: str) -> tuple[bytes, bytes]:
    """``(Content-Transfer-Encoding, encoded body with CRLF line ends)`` for one text part."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if (
        text.isascii()
        and max(map(len, text.split("\n"))) <= _SHORT_BODY_LINE
        and not _NOT_7BIT.search(text)
    ):
        return b"7bit", text.replace("\n", "\r\n").encode("ascii")
    data = text.encode("utf-8")
    qp = b2a_qp(data, istext=True)  # LF line ends in, LF line ends (and soft breaks) out
    if len(qp) * 3 <= len(data) * 4:
        return b"quoted-printable", qp.replace(b"\n", b"\r\n")
    lines = [b2a_base64(data[i : i + 57], newline=False) for i in range(0, len(data), 57)]
    return b"base64", b"\r\n".join(lines)


def _boundary(*bodies: bytes) -> bytes:
    # "=_" never occurs in quoted-printable or base64 text; 7bit bodies are checked.
    while True:
        boundary = b"=_" + os.urandom(12).hex().encode()
        if not any(boundary in body for body in bodies):
            return boundary


def build_message(msg: OutgoingEmail, date: datetime) -> bytes:
    """The complete message, as bytes for ``SMTP.sendmail``; raises ``InvalidMessage``."""
    from_header, _ = parse_sender(msg.from_addr)
    head = [
        from_header,
        address_header("To", msg.to_name, encode_address(msg.to_addr)),
        unstructured_header("Subject", msg.subject),
        f"Date: {format_datetime(date)}",
        message_id_header(msg.message_id),
        "MIME-Version: 1.0",
        *(extra_header(name, value) for name, value in msg.headers.items()),
    ]
    text_cte, text = encode_body(msg.text)
    html_cte, html = encode_body(msg.html)
    boundary = _boundary(text, html)
    head.append(f'Content-Type: multipart/alternative; boundary="{boundary.decode()}"')
    delimiter = b"\r\n--" + boundary + b"\r\n"
    return b"".join(
        (
            "\r\n".join(head).encode("ascii"),
            b"\r\n",
            delimiter,
            b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: ',
            text_cte,
            b"\r\n\r\n",
            text,
            delimiter,
            b'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: ',
            html_cte,
            b"\r\n\r\n",
            html,
            b"\r\n--",
            boundary,
            b"--\r\n",
        )
    )
