"""The longest post each social provider takes (None: no limit), known without importing the
providers' client libraries: the calendar parser and the channel check lengths with it."""

from __future__ import annotations

MAX_LENGTH: dict[str, int | None] = {"mastodon": 500, "bluesky": 300, "memory": None}
MAX_LENGTH["folder"] = None
