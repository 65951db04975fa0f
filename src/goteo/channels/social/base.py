"""What a social provider is given and what it answers.

A provider publishes one post at a time and answers with the channel results of
``goteo.channels.base``: ``Published`` (a ``Delivered`` that carries the provider's id and the
post's address), ``Retryable`` or ``Permanent``. Each post carries a stable ``key``: the
provider uses it so that a second attempt (after a crash between publishing and recording)
finds or reuses the first post instead of making another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from goteo.channels.base import Delivered, Result
from goteo.engine.social_model import Account


@dataclass(frozen=True)
class MediaFile:
    filename: str
    mime_type: str
    content: bytes
    alt: str


@dataclass(frozen=True)
class SocialPost:
    delivery_id: int  # the scheduled post's row
    key: str  # unique per occurrence; the idempotency key
    account: Account
    text: str  # the body as published (the link included)
    locale: str
    scheduled_for: datetime
    media: tuple[MediaFile, ...] = ()
    link: str = ""
    attempt: int = 1  # > 1: an earlier attempt may have reached the provider


@dataclass(frozen=True)
class Published(Delivered):
    provider_id: str = ""
    url: str = ""


class SocialProvider(Protocol):
    name: str
    capabilities: frozenset[str]
    max_length: int | None

    def deliver(self, post: SocialPost) -> Result:
        """Publish one post. Never raises for a publishing problem: it returns a result."""
        ...


def credential(account: Account, environ: dict[str, str]) -> str | None:
    """The account's token or app password, read from the environment variable it names."""
    return environ.get(account.credential_env) or None
