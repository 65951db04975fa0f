"""Locale fallback: ``fr-CA`` then ``fr`` then the campaign's default locale."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache


def normalize(locale: str | None) -> str:
    return (locale or "").strip().replace("_", "-").lower()


# Every message asks, for one of a handful of locales: the answers are kept.
@lru_cache(maxsize=4096)
def candidates(locale: str | None, default: str) -> tuple[str, ...]:
    """The locales to try, most specific first: ``fr-ca`` -> ``fr-ca``, ``fr``, default."""
    parts = normalize(locale).split("-") if locale else []
    tried = ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]
    tried.append(normalize(default))
    return tuple(dict.fromkeys(t for t in tried if t))


def resolve(locale: str | None, available: Iterable[str], default: str) -> str:
    """The best available locale for a contact; falls back to ``default``."""
    return _resolve(locale, tuple(available), default)


@lru_cache(maxsize=4096)
def _resolve(locale: str | None, available: tuple[str, ...], default: str) -> str:
    have = {normalize(a): a for a in available}
    for candidate in candidates(locale, default):
        if candidate in have:
            return have[candidate]
    return default
