"""Which key signs: configured settings, the generated key, the provider's, or none."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from goteo.channels.email.dkim import load_private_key, public_key_record
from goteo.channels.email.dkim_default import (
    DkimChoice,
    KeySource,
    dkim_choice,
    ensure_generated_key,
    signer_for,
)

FROM = "Shop <news@shop.example.com>"


def choice(tmp_path: Path, kind: str = "smtp", mode: str = "auto", **keys: str) -> DkimChoice:
    return dkim_choice(
        mode=mode,
        email_kind=kind,
        selector=keys.get("selector", ""),
        key_file=keys.get("key_file", ""),
        domain=keys.get("domain", ""),
        from_addr=FROM,
        data_dir=tmp_path,
    )


@pytest.mark.parametrize(
    ("kind", "mode", "keys", "source"),
    [
        ("smtp", "auto", {}, KeySource.GENERATED),
        ("smtp", "auto", {"selector": "s1", "key_file": "/k.pem"}, KeySource.CONFIGURED),
        ("anymail", "auto", {"selector": "s1", "key_file": "/k.pem"}, KeySource.CONFIGURED),
        ("anymail", "auto", {}, KeySource.PROVIDER),
        ("console", "auto", {}, KeySource.NONE),
        ("file", "auto", {}, KeySource.NONE),
        ("smtp", "off", {"selector": "s1", "key_file": "/k.pem"}, KeySource.OFF),
    ],
)
def test_the_source_of_the_key(
    tmp_path: Path, kind: str, mode: str, keys: dict[str, str], source: KeySource
) -> None:
    assert choice(tmp_path, kind, mode, **keys).source == source


def test_the_generated_key_is_made_once_and_signs_for_the_from_domain(tmp_path: Path) -> None:
    generated = choice(tmp_path)
    assert generated.key_file == str(tmp_path / "dkim" / "goteo.private.pem")
    assert ensure_generated_key(generated) is True
    pem = Path(generated.key_file).read_bytes()
    assert ensure_generated_key(generated) is False
    assert Path(generated.key_file).read_bytes() == pem
    assert stat.S_IMODE(os.stat(generated.key_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "dkim").st_mode) == 0o700
    assert sorted(p.name for p in (tmp_path / "dkim").iterdir()) == [
        "goteo.private.pem",
        "goteo.public.pem",
    ]
    assert load_private_key(generated.key_file).key_size == 2048
    signer = signer_for(generated)
    assert signer is not None and (signer.selector, signer.domain) == ("goteo", "shop.example.com")
    assert signer_for(choice(tmp_path, "anymail")) is None
    assert ensure_generated_key(choice(tmp_path / "other", "console")) is False
    assert not (tmp_path / "other").exists()


def test_processes_starting_together_share_one_whole_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    generated = choice(tmp_path)
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: ensure_generated_key(generated), range(4)))
    assert made.count(True) == 1
    key = load_private_key(generated.key_file)
    public = serialization.load_pem_public_key(
        (tmp_path / "dkim" / "goteo.public.pem").read_bytes()
    )
    assert isinstance(public, rsa.RSAPublicKey)
    assert public_key_record(public) == public_key_record(key)  # the two halves of one key
    assert sorted(p.name for p in (tmp_path / "dkim").iterdir()) == [
        "goteo.private.pem",
        "goteo.public.pem",
    ]
