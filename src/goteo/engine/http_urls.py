"""Absolute http(s) addresses given in documents: webhooks, form redirects."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def http_url(value: Any) -> str | None:
    """``value`` if it is an absolute http:// or https:// address without spaces, else None."""
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return value
