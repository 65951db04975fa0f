"""``memory``: keeps published posts in this process (tests, demos). A real provider: the
same key publishes once."""

from __future__ import annotations

import threading

from goteo.channels.base import Result
from goteo.channels.social.base import Published, SocialPost

_lock = threading.Lock()
posts: dict[str, SocialPost] = {}  # key -> the post, in publishing order


class MemoryProvider:
    name = "memory"
    capabilities = frozenset({"media", "alt_text", "idempotency_key"})
    max_length: int | None = None

    def deliver(self, post: SocialPost) -> Result:
        with _lock:
            posts.setdefault(post.key, post)
        return Published(
            post.delivery_id, "kept in memory", provider_id=post.key, url=f"memory:{post.key}"
        )


def clear() -> None:
    with _lock:
        posts.clear()
