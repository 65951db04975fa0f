"""The measurement settings, checked when the settings load so a bad value stops every command
at start instead of failing the first purchase event."""

from __future__ import annotations

from datetime import timedelta

from goteo.config import ConfigError
from goteo.engine.coupon_spec import CURRENCY
from goteo.engine.durations import DurationError, parse_duration


def attribution_window(text: str) -> timedelta:
    """``GOTEO_ATTRIBUTION_WINDOW`` (default ``7d``)."""
    try:
        return parse_duration(text or "7d")
    except DurationError as exc:
        raise ConfigError(f"GOTEO_ATTRIBUTION_WINDOW: {exc}") from None


def default_currency(text: str) -> str:
    """``GOTEO_DEFAULT_CURRENCY`` (default ``USD``): a value sent without a currency is in it."""
    code = (text or "USD").strip().upper()
    if not CURRENCY.match(code):
        raise ConfigError(f"GOTEO_DEFAULT_CURRENCY: {code!r} is not an ISO 4217 code (USD)")
    return code
