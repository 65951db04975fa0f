"""Deterministic AT Protocol record keys: the same scheduled post always gets the same rkey.

A record key for a post is a TID: 53 bits of microseconds since the epoch and 10 bits of
"clock id", written in base32-sortable as 13 characters. Ours takes the post's scheduled time to
the second, and fills the microseconds and the clock id from a hash of the post's key, so two
posts due in the same second on one account still get different keys.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def tid(key: str, at: datetime) -> str:
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    micros = int(at.timestamp()) * 1_000_000 + digest % 1_000_000
    clock = (digest >> 20) % 1024
    value = (micros << 10) | clock
    chars = []
    for _ in range(13):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))
