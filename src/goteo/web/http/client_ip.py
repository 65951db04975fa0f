"""The address a request came from, seen through the reverse proxies we trust."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _trusted(address: str | None) -> bool:
    if address is None:
        return False
    return ipaddress.ip_address(address).is_loopback or address in settings.GOTEO_TRUSTED_PROXIES


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, unless that is a trusted proxy (loopback, or GOTEO_TRUSTED_PROXIES):
    then the ``X-Forwarded-For`` entries are read from the right, past every trusted proxy."""
    address = _address(str(request.META.get("REMOTE_ADDR", "")))
    chain = [p for p in request.headers.get("X-Forwarded-For", "").split(",") if p.strip()]
    while chain and _trusted(address):
        address = _address(chain.pop())
    return address
