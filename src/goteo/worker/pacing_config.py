"""The operator's pacing rules from the settings: ``GOTEO_FREQUENCY_CAP``, ``GOTEO_QUIET_HOURS``,
``GOTEO_RATE_LIMITS``, ``GOTEO_DOMAIN_LIMITS``."""

from __future__ import annotations

from django.conf import settings

from goteo.config import ConfigError
from goteo.engine.pacing import Pacing, PacingError, parse_cap, parse_quiet_hours
from goteo.worker.domain_limits import DomainLimit, parse_domain_limits
from goteo.worker.rate_limits import parse_rate_limits


def check_pacing(cap: str, quiet: str) -> Pacing:
    """Parse both settings; a value that cannot be used is a configuration error."""
    try:
        parsed_cap = parse_cap(cap)
    except PacingError as exc:
        raise ConfigError(f"GOTEO_FREQUENCY_CAP: {exc}") from None
    try:
        return Pacing(parsed_cap, parse_quiet_hours(quiet))
    except PacingError as exc:
        raise ConfigError(f"GOTEO_QUIET_HOURS: {exc}") from None


def pacing_from_settings() -> Pacing:
    """Read when a worker is built, so a changed setting applies to the next worker."""
    return check_pacing(
        getattr(settings, "GOTEO_FREQUENCY_CAP", ""), getattr(settings, "GOTEO_QUIET_HOURS", "")
    )


def rate_limits_from_settings() -> dict[str, float]:
    return parse_rate_limits(getattr(settings, "GOTEO_RATE_LIMITS", ""))


def domain_limits_from_settings() -> dict[str, DomainLimit]:
    return parse_domain_limits(getattr(settings, "GOTEO_DOMAIN_LIMITS", ""))
