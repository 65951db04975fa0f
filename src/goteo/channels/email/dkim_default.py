"""DKIM on by default: which key signs, and the key Goteo makes for itself.

Mail sent over ``smtp://`` is signed even when no key is configured: ``goteo migrate`` (or the
worker, if the key is still missing when it starts) writes a 2048-bit RSA key into
``GOTEO_DATA_DIR/dkim/`` (selector ``goteo``, private key mode 0600) and the worker signs with
it. ``GOTEO_DKIM_SELECTOR`` with ``GOTEO_DKIM_PRIVATE_KEY_FILE`` win over the generated key; a
provider reached through ``anymail+…://`` signs with its own key; ``GOTEO_DKIM=off`` sends
unsigned. Until its record is published, receivers cannot verify the generated key's
signatures: ``goteo dns`` prints that record.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from goteo.channels.email.dkim import (
    Signer,
    generate_key_pair,
    signer_from_settings,
    signing_domain,
)

GENERATED_SELECTOR = "goteo"


class KeySource(StrEnum):
    CONFIGURED = "configured"  # GOTEO_DKIM_SELECTOR and GOTEO_DKIM_PRIVATE_KEY_FILE
    GENERATED = "generated"  # Goteo's own key in GOTEO_DATA_DIR/dkim/
    PROVIDER = "provider"  # anymail+…:// providers sign with the key in their dashboard
    OFF = "off"  # GOTEO_DKIM=off
    NONE = "none"  # console:, memory:, file:// reach no inbox and are not signed


@dataclass(frozen=True)
class DkimChoice:
    """Which key signs the mail; for ``GENERATED`` the key file may not exist yet."""

    source: KeySource
    selector: str = ""
    key_file: str = ""
    domain: str = ""
    from_addr: str = ""

    @property
    def signs(self) -> bool:
        return self.source in (KeySource.CONFIGURED, KeySource.GENERATED)


def generated_key_file(data_dir: Path) -> Path:
    return data_dir / "dkim" / f"{GENERATED_SELECTOR}.private.pem"


def dkim_choice(
    *,
    mode: str,
    email_kind: str,
    selector: str,
    key_file: str,
    domain: str,
    from_addr: str,
    data_dir: Path,
) -> DkimChoice:
    """The signing key for these settings (pure: reads no file, makes no key)."""
    if mode == "off":
        return DkimChoice(KeySource.OFF)
    if selector or key_file:
        return DkimChoice(KeySource.CONFIGURED, selector, key_file, domain, from_addr)
    if email_kind == "anymail":
        return DkimChoice(KeySource.PROVIDER)
    if email_kind != "smtp":
        return DkimChoice(KeySource.NONE)
    key = str(generated_key_file(data_dir))
    return DkimChoice(KeySource.GENERATED, GENERATED_SELECTOR, key, domain, from_addr)


def choice_from_settings() -> DkimChoice:
    """``dkim_choice`` for the loaded Django settings."""
    from django.conf import settings

    return dkim_choice(
        mode=settings.GOTEO_DKIM,
        email_kind=settings.EMAIL_CONFIG.kind,
        selector=settings.GOTEO_DKIM_SELECTOR,
        key_file=settings.GOTEO_DKIM_PRIVATE_KEY_FILE,
        domain=settings.GOTEO_DKIM_DOMAIN,
        from_addr=settings.GOTEO_FROM,
        data_dir=Path(settings.DATA_DIR),
    )


def ensure_generated_key(choice: DkimChoice) -> bool:
    """Make the generated key when the choice needs it and it is missing; True when made now.

    Safe when two processes start at once: the key is written aside and linked into place,
    so the one that loses the race uses the winner's key, never half a file.
    """
    if choice.source != KeySource.GENERATED:
        return False
    target = Path(choice.key_file)
    if target.exists():
        return False
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".new-", dir=target.parent))
    try:
        made = generate_key_pair(staging, choice.selector)
        try:
            os.link(made, target)
        except FileExistsError:
            return False
        public = f"{choice.selector}.public.pem"
        os.replace(staging / public, target.parent / public)
        return True
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def signer_for(choice: DkimChoice) -> Signer | None:
    """The signer for a choice (None when nothing is signed); a key that cannot be used raises
    ``DkimKeyError``, which names the file."""
    if choice.source == KeySource.CONFIGURED:
        return signer_from_settings(
            choice.selector, choice.key_file, choice.domain, choice.from_addr
        )
    if choice.source == KeySource.GENERATED:
        domain = signing_domain(choice.domain, choice.from_addr)
        return Signer.from_file(choice.selector, domain, choice.key_file)
    return None
