"""``goteo dns`` as a real process: a private key only its owner reads, records that match it."""

from __future__ import annotations

import base64
import os
import re
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from tests.integration.procs import goteo, goteo_json

from goteo.channels.email.dkim import load_private_key

pytestmark = pytest.mark.slow  # every test here runs `goteo` as a real process

DOMAIN_ENV = {
    "GOTEO_FROM": "Shop News <news@shop.example.com>",
    "GOTEO_RETURN_PATH_DOMAIN": "bounces.shop.example.com",
    "GOTEO_BASE_URL": "https://goteo.shop.example.com",
    "GOTEO_EMAIL_URL": "smtp://smtp.relay.example:587?tls=starttls",
}


def public_der_b64(private_key_file: Path) -> str:
    der = (
        load_private_key(private_key_file)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return base64.b64encode(der).decode()


def test_generate_key_writes_a_private_key_and_prints_its_record(
    goteo_env: dict[str, str], tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    out = goteo_json(goteo_env | DOMAIN_ENV, "dns", "--generate-key", str(keys), "--selector", "s1")
    private = keys / "s1.private.pem"
    assert out["key_file"] == str(private.resolve()) and out["generated"] is True
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert (out["domain"], out["selector"]) == ("shop.example.com", "s1")

    records = {r["purpose"]: r for r in out["records"]}
    assert list(records) == ["SPF", "DKIM", "DMARC", "MX"]
    dkim = records["DKIM"]
    assert (dkim["name"], dkim["type"]) == ("s1._domainkey.shop.example.com", "TXT")
    assert dkim["value"] == f"v=DKIM1; k=rsa; p={public_der_b64(private)}"
    assert all(len(s) <= 255 for s in dkim["strings"]) and len(dkim["strings"]) == 2
    assert "".join(dkim["strings"]) == dkim["value"]
    assert load_private_key(private).key_size == 2048

    spf = records["SPF"]
    assert (spf["name"], spf["value"]) == (
        "bounces.shop.example.com",
        "v=spf1 a:smtp.relay.example ~all",
    )
    assert "include:" in spf["note"]
    assert records["DMARC"]["name"] == "_dmarc.shop.example.com"
    assert records["DMARC"]["value"] == "v=DMARC1; p=none; rua=mailto:dmarc@shop.example.com"
    mx = records["MX"]
    assert (mx["name"], mx["value"]) == ("bounces.shop.example.com", "10 goteo.shop.example.com.")


def test_the_printed_dkim_record_matches_the_key_and_is_split_in_quoted_strings(
    goteo_env: dict[str, str], tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    env = goteo_env | DOMAIN_ENV
    human = goteo(env, "dns", "--generate-key", str(keys), "--domain", "mail.example.org").stdout
    private = keys / "goteo.private.pem"
    assert f"GOTEO_DKIM_PRIVATE_KEY_FILE={private.resolve()}" in human
    line = next(x for x in human.splitlines() if "._domainkey." in x)
    name, kind, data = line.split(None, 2)
    assert (name, kind) == ("goteo._domainkey.mail.example.org", "TXT")
    strings = re.findall(r'"([^"]*)"', data)
    assert len(strings) == 2 and all(len(s) <= 255 for s in strings)
    p = dict(t.strip().split("=", 1) for t in "".join(strings).split(";"))["p"]
    assert p == public_der_b64(private)
    for expected in ("_dmarc.mail.example.org  TXT", "p=quarantine", "goteo inbound"):
        assert expected in human

    again = goteo(env, "dns", "--generate-key", str(keys), check=False)
    assert again.returncode == 1 and "already exists" in again.stderr  # never overwritten


def test_without_a_new_key_the_configured_key_is_used(
    goteo_env: dict[str, str], tmp_path: Path
) -> None:
    out = goteo_json(goteo_env | DOMAIN_ENV, "dns", "--generate-key", str(tmp_path))
    env = goteo_env | {
        "GOTEO_FROM": "news@shop.example.com",
        "GOTEO_DKIM_SELECTOR": "goteo",
        "GOTEO_DKIM_PRIVATE_KEY_FILE": out["key_file"],
    }
    configured = goteo_json(env, "dns")
    assert configured["generated"] is False
    records = {r["purpose"]: r for r in configured["records"]}
    assert records["DKIM"]["value"] == f"v=DKIM1; k=rsa; p={public_der_b64(Path(out['key_file']))}"
    assert "MX" not in records  # no bounce domain configured
    assert records["SPF"]["name"] == "shop.example.com"

    bare = goteo_json(goteo_env | {"GOTEO_FROM": "news@shop.example.com"}, "dns")
    (dkim,) = [r for r in bare["records"] if r["purpose"] == "DKIM"]
    assert dkim["value"] is None and "--generate-key" in dkim["note"]
