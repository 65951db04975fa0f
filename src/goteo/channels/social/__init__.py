"""Social providers: one module each, chosen by the account's ``provider``.

A provider's module (and its client library: Mastodon.py, atproto) is imported only when an
account asks for it, so a worker that posts nowhere does not load them.
"""

from __future__ import annotations

from pathlib import Path

from goteo.channels.social.base import SocialProvider
from goteo.channels.social.folder import FolderProvider
from goteo.channels.social.limits import MAX_LENGTH
from goteo.channels.social.memory import MemoryProvider

__all__ = ["MAX_LENGTH", "provider_for"]


def provider_for(name: str, data_dir: Path) -> SocialProvider:
    """The provider of that name; ``folder`` writes under ``data_dir`` unless given a full path."""
    if name == "mastodon":
        from goteo.channels.social.mastodon import MastodonProvider

        return MastodonProvider()
    if name == "bluesky":
        from goteo.channels.social.bluesky import BlueskyProvider

        return BlueskyProvider()
    if name == "folder":
        return FolderProvider(data_dir)
    if name == "memory":
        return MemoryProvider()
    raise ValueError(f"{name!r} is not a social provider")
