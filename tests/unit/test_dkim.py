"""DKIM signing: signatures that dkimpy verifies, the headers they cover, clear key errors."""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from goteo.channels.base import OutgoingEmail
from goteo.channels.email.dkim import (
    DkimKeyError,
    Signer,
    generate_key_pair,
    load_private_key,
    public_key_record,
    signer_from_settings,
)
from goteo.channels.email.factory import email_channel
from goteo.channels.email.mime import InvalidMessage, build_message
from goteo.channels.email.smtp import SmtpChannel
from goteo.config import ConfigError, email_settings

REQUIRED = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "list-unsubscribe",
    "list-unsubscribe-post",
}
UNSUBSCRIBE = (
    "<https://goteo.example.com/u/1a:Zm9vYmFyYmF6cXV4>,"
    " <mailto:unsubscribe+1a-0123456789abcdef@bounces.goteo.example.com?subject=unsubscribe>"
)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def signer(key: rsa.RSAPrivateKey) -> Signer:
    return Signer("s2025", "goteo.example.com", key)


def dns_for(key: rsa.RSAPrivateKey) -> Callable[..., bytes]:
    """A resolver that answers the selector's TXT query with the key's record: no network."""
    record = public_key_record(key).encode()

    def lookup(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"s2025._domainkey.goteo.example.com.", name
        return record

    return lookup


def message(subject: str = "Bienvenida, Zoë — ¿empezamos?", **headers: str) -> bytes:
    email = OutgoingEmail(
        delivery_id=7,
        message_id="<goteo.7.0123456789abcdef@goteo.example.com>",
        from_addr="Goteo News <news@goteo.example.com>",
        to_addr="zoe@example.com",
        to_name="Zoë Núñez",
        subject=subject,
        html="<p>Hola Zoë</p>" * 30,
        text="Hola Zoë, el marketing por goteo…\n" * 20,
        headers={
            "List-Unsubscribe": UNSUBSCRIBE,
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            **headers,
        },
    )
    return build_message(email, datetime(2025, 3, 5, 14, 0, tzinfo=UTC))


def tags(signed: bytes) -> dict[str, str]:
    header = re.match(rb"DKIM-Signature: (.*?)\r\n(?![ \t])", signed, re.DOTALL)
    assert header is not None
    value = re.sub(r"\s+", "", header.group(1).decode())
    return dict(tag.split("=", 1) for tag in value.split(";") if tag)


def test_a_signed_message_verifies_with_dkimpy(signer: Signer, key: rsa.RSAPrivateKey) -> None:
    signed = signer.sign(message())
    assert signed.startswith(b"DKIM-Signature: ")
    assert dkim.verify(signed, dnsfunc=dns_for(key))
    found = tags(signed)
    assert (found["v"], found["a"], found["c"]) == ("1", "rsa-sha256", "relaxed/relaxed")
    assert (found["d"], found["s"]) == ("goteo.example.com", "s2025")


def test_the_signature_covers_the_required_headers_and_oversigns_the_sensitive_ones(
    signer: Signer,
) -> None:
    signed_names = tags(signer.sign(message(**{"Reply-To": "help@goteo.example.com"})))["h"]
    names = signed_names.split(":")
    assert set(names) >= REQUIRED | {"reply-to"}
    # One more than present: a second copy added on the way cannot pass as signed.
    for name in ("from", "subject", "list-unsubscribe", "list-unsubscribe-post"):
        assert names.count(name) == 2, (name, names)
    assert "x-goteo-campaign" not in names


def test_a_changed_subject_or_body_or_unsubscribe_header_fails(
    signer: Signer, key: rsa.RSAPrivateKey
) -> None:
    signed = signer.sign(message(subject="Welcome"))
    resolver = dns_for(key)
    assert dkim.verify(signed, dnsfunc=resolver)
    assert not dkim.verify(
        signed.replace(b"Subject: Welcome", b"Subject: Welcome!"), dnsfunc=resolver
    )
    assert not dkim.verify(signed.replace(b"Hola Zo", b"Hola Xo", 1), dnsfunc=resolver)
    tampered = signed.replace(b"https://goteo.example.com/u/", b"https://evil.example/u/")
    assert tampered != signed and not dkim.verify(tampered, dnsfunc=resolver)
    added = signed.replace(b"\r\n\r\n", b"\r\nSubject: Second subject\r\n\r\n", 1)
    assert not dkim.verify(added, dnsfunc=resolver)


def test_relaxed_canonicalisation_survives_refolding_in_transit(
    signer: Signer, key: rsa.RSAPrivateKey
) -> None:
    signed = signer.sign(message(subject="A plain subject"))
    refolded = signed.replace(b"Subject: A plain subject", b"Subject:   A plain\r\n  subject")
    assert refolded != signed
    assert dkim.verify(refolded, dnsfunc=dns_for(key))


def test_signature_lines_stay_short(signer: Signer) -> None:
    header = signer.signature_header(message())
    assert header.endswith(b"\r\n")
    lines = header.rstrip(b"\r\n").split(b"\r\n")
    assert all(len(line) <= 78 for line in lines), [len(line) for line in lines]
    assert all(line.startswith(b" ") for line in lines[1:])


def test_the_timestamp_is_the_signing_time(signer: Signer) -> None:
    assert tags(signer.sign(message(), now=1_741_183_200))["t"] == "1741183200"


def write_pem(path: Path, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, **kw: bytes) -> Path:
    encryption = (
        serialization.BestAvailableEncryption(kw["password"])
        if "password" in kw
        else serialization.NoEncryption()
    )
    fmt = (
        serialization.PrivateFormat.TraditionalOpenSSL
        if kw.get("pkcs1")
        else serialization.PrivateFormat.PKCS8
    )
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, fmt, encryption))
    return path


def test_keys_load_from_pkcs8_and_pkcs1_files(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    for pkcs1 in (False, True):
        path = write_pem(tmp_path / f"k{pkcs1}.pem", key, pkcs1=b"1" if pkcs1 else b"")
        loaded = load_private_key(path)
        assert loaded.private_numbers() == key.private_numbers()


def test_key_loading_errors_name_the_file_and_the_fix(
    tmp_path: Path, key: rsa.RSAPrivateKey
) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(DkimKeyError, match=r"GOTEO_DKIM_PRIVATE_KEY_FILE .*missing.pem. does not"):
        load_private_key(missing)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key\n")
    with pytest.raises(DkimKeyError, match=r"is not a PEM private key.*goteo dns --generate-key"):
        load_private_key(garbage)
    locked = write_pem(tmp_path / "locked.pem", key, password=b"secret")
    with pytest.raises(DkimKeyError, match="protected by a passphrase"):
        load_private_key(locked)
    elliptic = write_pem(tmp_path / "ec.pem", ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(DkimKeyError, match="is not an RSA key"):
        load_private_key(elliptic)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(DkimKeyError, match="cannot be read"):
        load_private_key(folder)
    assert issubclass(DkimKeyError, ConfigError)


def test_settings_choose_the_signer(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    path = write_pem(tmp_path / "key.pem", key)
    assert signer_from_settings("", "", "", "news@goteo.example.com") is None
    with pytest.raises(ConfigError, match="needs GOTEO_DKIM_PRIVATE_KEY_FILE too"):
        signer_from_settings("s1", "", "", "news@goteo.example.com")
    with pytest.raises(ConfigError, match="needs GOTEO_DKIM_SELECTOR too"):
        signer_from_settings("", str(path), "", "news@goteo.example.com")
    from_domain = signer_from_settings("s1", str(path), "", "Goteo <news@Shop.Example.com>")
    assert from_domain is not None and from_domain.domain == "shop.example.com"
    chosen = signer_from_settings("s1", str(path), "mail.example.org", "news@shop.example.com")
    assert chosen is not None and (chosen.selector, chosen.domain) == ("s1", "mail.example.org")


def test_generated_keys_are_private_and_never_overwritten(tmp_path: Path) -> None:
    private = generate_key_pair(tmp_path / "keys", "s1", bits=1024)
    assert private == tmp_path / "keys" / "s1.private.pem"
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert (tmp_path / "keys" / "s1.public.pem").read_bytes().startswith(b"-----BEGIN PUBLIC")
    assert load_private_key(private).key_size == 1024
    with pytest.raises(FileExistsError, match="already exists"):
        generate_key_pair(tmp_path / "keys", "s1", bits=1024)


def test_the_public_record_carries_the_key(key: rsa.RSAPrivateKey) -> None:
    record = public_key_record(key)
    assert record.startswith("v=DKIM1; k=rsa; p=MII")
    assert public_key_record(key.public_key()) == record


def test_a_message_without_from_cannot_be_signed(signer: Signer) -> None:
    with pytest.raises(InvalidMessage, match="no From header"):
        signer.sign(b"Subject: hi\r\n\r\nbody\r\n")


def test_only_the_smtp_channel_signs(signer: Signer, caplog: pytest.LogCaptureFixture) -> None:
    smtp = email_channel(email_settings("smtp://127.0.0.1:2525"), signer=signer)
    assert isinstance(smtp, SmtpChannel) and smtp.signer is signer
    with caplog.at_level(logging.WARNING, logger="goteo.channels.email.factory"):
        other = email_channel(email_settings("memory:"), signer=signer)
    assert not isinstance(other, SmtpChannel)
    assert "DKIM signing applies to smtp:// only; memory mail goes out unsigned" in caplog.text
