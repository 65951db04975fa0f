"""DKIM signatures (RFC 6376) for the messages Goteo sends over SMTP.

A ``Signer`` is prepared once per worker: the private key is read and parsed when it is
made, never per message. Each message is then parsed, canonicalised (relaxed/relaxed) and its
headers selected by dkimpy; only the RSA operation itself goes through ``cryptography``
(OpenSSL). dkimpy's own RSA is pure Python: 7 ms or more a message with a 2048-bit key, against
about 0.3 ms through OpenSSL (about 0.5 ms for the whole signature, parsing included).

The signature covers From, To, Subject, Date, Message-ID, MIME-Version, Content-Type,
List-Unsubscribe and List-Unsubscribe-Post (and Reply-To and Sender when present). From,
Subject and the two unsubscribe headers are signed once more than they occur, so a copy added
in transit breaks the signature instead of slipping in beside it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from email.utils import parseaddr
from pathlib import Path

import dkim
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from dkim.canonicalization import CanonicalizationPolicy

from goteo.channels.email.mime import InvalidMessage
from goteo.config import ConfigError

# Signed when present, in this order.
SIGNED_HEADERS = (
    b"from",
    b"sender",
    b"reply-to",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
)
# Signed one extra time: a second copy added on the way cannot pass as signed.
OVERSIGNED_HEADERS = (b"from", b"subject", b"list-unsubscribe", b"list-unsubscribe-post")
MIN_KEY_BITS = 1024  # receivers ignore shorter keys (RFC 8301)
_CANONICALIZATION = b"relaxed/relaxed"
_FOLD = 78  # the signature header's lines keep to the 78-character advice


class DkimKeyError(ConfigError):
    """The DKIM private key cannot be used; the message names the file and the fix."""


def load_private_key(path: str | Path) -> rsa.RSAPrivateKey:
    """The RSA private key in a PEM file (PKCS#1 or PKCS#8, no passphrase)."""
    where = f"GOTEO_DKIM_PRIVATE_KEY_FILE {str(path)!r}"
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise DkimKeyError(f"{where} does not exist") from None
    except OSError as exc:
        raise DkimKeyError(f"{where} cannot be read: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise DkimKeyError(
            f"{where} is protected by a passphrase; store it unencrypted, readable only by"
            " the worker's user (mode 0600)"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise DkimKeyError(
            f"{where} is not a PEM private key (expected '-----BEGIN PRIVATE KEY-----' or"
            " '-----BEGIN RSA PRIVATE KEY-----'); `goteo dns --generate-key DIR` makes one"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DkimKeyError(f"{where} is not an RSA key; DKIM signing here uses RSA (rsa-sha256)")
    if key.key_size < MIN_KEY_BITS:
        raise DkimKeyError(
            f"{where} is a {key.key_size}-bit key; receivers ignore DKIM keys under"
            f" {MIN_KEY_BITS} bits: use 2048"
        )
    return key


def public_key_record(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    """The DKIM TXT record value for a key: ``v=DKIM1; k=rsa; p=<base64>``."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode('ascii')}"


def generate_key_pair(folder: str | Path, selector: str, bits: int = 2048) -> Path:
    """A new RSA key: ``<selector>.private.pem`` (mode 0600) and ``<selector>.public.pem``.

    Returns the private key's path. An existing key file is never overwritten
    (``FileExistsError``): replacing a key that DNS still publishes would break signing.
    """
    target = Path(folder)
    private_path = target / f"{selector}.private.pem"
    public_path = target / f"{selector}.public.pem"
    for path in (private_path, public_path):
        if path.exists():
            raise FileExistsError(f"{path} already exists; choose another --selector or folder")
    target.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Created with mode 0600 from the start, so the key is never readable by others.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as stream:
        stream.write(private_pem)
    os.chmod(private_path, 0o600)  # whatever the umask
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_path


class Signer:
    """Signs messages for one domain and selector with one RSA key (rsa-sha256)."""

    def __init__(self, selector: str, domain: str, key: rsa.RSAPrivateKey) -> None:
        if not selector or not domain:
            raise ConfigError("DKIM signing needs a selector and a domain")
        self.selector = selector
        self.domain = domain.lower()
        self._key = key
        self._policy = CanonicalizationPolicy.from_c_value(_CANONICALIZATION)
        self._fixed = (
            "v=1;",
            "a=rsa-sha256;",
            f"c={_CANONICALIZATION.decode()};",
            f"d={self.domain};",
            f"s={selector};",
        )

    @classmethod
    def from_file(cls, selector: str, domain: str, key_file: str | Path) -> Signer:
        return cls(selector, domain, load_private_key(key_file))

    def sign(self, message: bytes, now: float | None = None) -> bytes:
        """``message`` with its DKIM-Signature header in front; raises ``InvalidMessage``."""
        return self.signature_header(message, now) + message

    def signature_header(self, message: bytes, now: float | None = None) -> bytes:
        """The ``DKIM-Signature: …`` line (folded, ending in CRLF) for ``message``."""
        try:
            headers, body = dkim.rfc822_parse(message)
        except dkim.MessageFormatError as exc:
            raise InvalidMessage(f"cannot be DKIM-signed: {exc}") from exc
        body_hash = hashlib.sha256(self._policy.canonicalize_body(body)).digest()
        present = {name.lower() for name, _ in headers}
        if b"from" not in present:
            raise InvalidMessage("cannot be DKIM-signed: it has no From header")
        signed = [name for name in SIGNED_HEADERS if name in present]
        signed += [name for name in OVERSIGNED_HEADERS if name in present]
        stamp = int(time.time() if now is None else now)
        value = _fold_tags(
            *self._fixed,
            f"t={stamp};",
            *_h_tag(signed),
            f"bh={base64.b64encode(body_hash).decode('ascii')};",
        )
        value += b"\r\n b="  # b= on a line of its own, as dkimpy and most signers do
        # Only the headers to sign are canonicalised, kept in their order for hash_headers.
        wanted = set(signed)
        canonical = self._policy.canonicalize_headers(
            [header for header in headers if header[0].lower() in wanted]
        )
        digest = hashlib.sha256()
        dkim.hash_headers(
            digest, self._policy, canonical, signed, (b"DKIM-Signature", b" " + value), {}
        )
        signature = self._key.sign(
            digest.digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
        )
        return b"DKIM-Signature: " + value + _fold_b64(signature) + b"\r\n"


def _h_tag(names: list[bytes]) -> list[str]:
    """The ``h=`` tag in pieces that may each start a folded line (a colon ends each)."""
    pieces = [f"{name.decode()}:" for name in names]
    pieces[0] = "h=" + pieces[0]
    pieces[-1] = pieces[-1][:-1] + ";"
    return pieces


def _fold_tags(*pieces: str) -> bytes:
    """Join the tags with single spaces, starting a new line where one would grow too long.

    Inside ``h=`` a piece follows the previous one without a space (``from:to:``) unless it
    starts a new line; whitespace around the colons is allowed there, and relaxed
    canonicalisation makes the signer and the verifier hash the same text either way.
    """
    lines: list[str] = []
    line, room = "", _FOLD - len("DKIM-Signature: ")
    for piece in pieces:
        joiner = "" if line.endswith(":") else " "
        if not line:
            line = piece
        elif len(line) + len(joiner) + len(piece) <= room:
            line = f"{line}{joiner}{piece}"
        else:
            lines.append(line)
            line, room = piece, _FOLD - 1  # continuation lines start with one space
    lines.append(line)
    return "\r\n ".join(lines).encode("ascii")


def _fold_b64(signature: bytes) -> bytes:
    encoded = base64.b64encode(signature)
    width, first = _FOLD - 1, _FOLD - len(" b=")
    chunks = [encoded[:first]] + [encoded[i : i + width] for i in range(first, len(encoded), width)]
    return b"\r\n ".join(chunk for chunk in chunks if chunk)


def signer_from_settings(
    selector: str, key_file: str, domain: str, from_addr: str
) -> Signer | None:
    """The signer configured by ``GOTEO_DKIM_*``; None when DKIM is not configured.

    ``domain`` defaults to the domain of the From address (``from_addr``), which is also what
    DMARC alignment wants.
    """
    if not selector and not key_file:
        return None
    if not selector or not key_file:
        missing = "GOTEO_DKIM_SELECTOR" if not selector else "GOTEO_DKIM_PRIVATE_KEY_FILE"
        raise ConfigError(f"DKIM signing needs {missing} too (or neither, to send unsigned)")
    return Signer.from_file(selector, signing_domain(domain, from_addr), key_file)


def signing_domain(domain: str, from_addr: str) -> str:
    """``GOTEO_DKIM_DOMAIN``, else the domain of the From address (what DMARC aligns on)."""
    domain = domain or parseaddr(from_addr)[1].rpartition("@")[2]
    if not domain:
        raise ConfigError("GOTEO_DKIM_DOMAIN is empty and GOTEO_FROM has no domain to use")
    return domain
