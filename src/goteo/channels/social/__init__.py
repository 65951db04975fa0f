"""Social providers: one module each, chosen by the account's ``provider``."""

from __future__ import annotations

from pathlib import Path

from goteo.channels.social.base import SocialProvider
from goteo.channels.social.bluesky import BlueskyProvider
from goteo.channels.social.folder import FolderProvider
from goteo.channels.social.mastodon import MastodonProvider
from goteo.channels.social.memory import MemoryProvider

# provider -> the longest post it takes (None: no limit); the calendar parser checks it.
MAX_LENGTH: dict[str, int | None] = {
    p.name: p.max_length for p in (MastodonProvider, BlueskyProvider, MemoryProvider)
}
MAX_LENGTH[FolderProvider.name] = FolderProvider.max_length


def provider_for(name: str, data_dir: Path) -> SocialProvider:
    """The provider of that name; ``folder`` writes under ``data_dir`` unless given a full path."""
    if name == "mastodon":
        return MastodonProvider()
    if name == "bluesky":
        return BlueskyProvider()
    if name == "folder":
        return FolderProvider(data_dir)
    if name == "memory":
        return MemoryProvider()
    raise ValueError(f"{name!r} is not a social provider")
