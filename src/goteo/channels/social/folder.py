"""``folder``: each post becomes ``<key>.json`` (and its media files) in the account's folder.

The file is written under a temporary name and renamed, so it is there whole or not at all; a
second attempt for the same key finds it and publishes nothing new.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from goteo.channels.base import Permanent, Result
from goteo.channels.social.base import Published, SocialPost

UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def file_stem(key: str) -> str:
    return UNSAFE.sub("_", key)


class FolderProvider:
    name = "folder"
    capabilities = frozenset({"media", "alt_text", "idempotency_key"})
    max_length: int | None = None

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir

    def deliver(self, post: SocialPost) -> Result:
        folder = self.base_dir / post.account.path
        stem = file_stem(post.key)
        target = folder / f"{stem}.json"
        if target.exists():
            return Published(
                post.delivery_id, "already written", provider_id=stem, url=target.as_uri()
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
            media = []
            for i, item in enumerate(post.media):
                name = f"{stem}.{i}.{file_stem(item.filename)}"
                (folder / name).write_bytes(item.content)
                media.append({"file": name, "alt": item.alt, "mime_type": item.mime_type})
            document = {
                "key": post.key,
                "account": post.account.name,
                "locale": post.locale,
                "text": post.text,
                "link": post.link,
                "scheduled_for": post.scheduled_for.isoformat(),
                "media": media,
            }
            partial = folder / f".{stem}.json.partial"
            partial.write_text(json.dumps(document, ensure_ascii=False, indent=2), "utf-8")
            os.replace(partial, target)
        except OSError as exc:
            return Permanent(post.delivery_id, f"cannot write to {folder}: {exc}")
        return Published(post.delivery_id, "written", provider_id=stem, url=target.as_uri())
