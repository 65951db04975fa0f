"""Where a webhook may go: public addresses only, unless the operator allow-lists a network.

A webhook's URL comes from a campaign or the scoring rules, so it must not become a way into
the operator's own network (server-side request forgery). The host is resolved first and every
address it resolves to is checked; the call then connects to the checked address itself, so a
second lookup cannot give a different answer. Refused: private, loopback, link-local,
multicast, reserved, unspecified and other non-global addresses, IPv4-mapped IPv6, and IP
addresses spelled any way but the canonical one (``2130706433``, ``0x7f.1``, ``0177.0.0.1``,
``127.1``). ``GOTEO_WEBHOOK_ALLOW`` lists networks that are allowed all the same
(``10.0.0.0/8,::1/128``). Redirects are never followed (``channels/webhook.py``).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


class TargetRefused(ValueError):
    """The URL may not be called; the message says why."""


class TargetUnresolved(OSError):
    """The host name did not resolve (perhaps for now: the call is retried)."""


@dataclass(frozen=True)
class Target:
    scheme: str  # http or https
    host: str  # as written: sent as Host and checked against the certificate
    port: int
    address: str  # the checked address to connect to
    path: str  # path and query


def allowed_networks(text: str) -> tuple[Network, ...]:
    """``GOTEO_WEBHOOK_ALLOW``: comma-separated networks (``127.0.0.1/32,fd00::/8``)."""
    networks = []
    for part in (p.strip() for p in text.split(",")):
        if part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise TargetRefused(f"GOTEO_WEBHOOK_ALLOW: {part!r} is not a network") from None
    return tuple(networks)


def refusal(address: Address) -> str | None:
    """Why ``address`` is not a public target, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return "an IPv4-mapped IPv6 address"
    for test, name in (
        (address.is_loopback, "a loopback address"),
        (address.is_private, "a private address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_unspecified, "the unspecified address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a public address"),
    ):
        if test:
            return name
    return None


def _literal(host: str) -> Address | None:
    """The IP address ``host`` spells canonically; refuses the other numeric spellings."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    if all(_NUMERIC_LABEL.match(label) for label in labels):
        raise TargetRefused(f"{host!r} is an IP address in a non-canonical spelling")
    return None


def check_target(url: str, allow: tuple[Network, ...] = ()) -> Target:
    """Resolve ``url``'s host and check every address; raises ``TargetRefused`` (never
    retried) or ``TargetUnresolved`` (retried)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("not an http:// or https:// address")
    host = parts.hostname
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise TargetRefused("the port is not a number from 1 to 65535") from None
    literal = _literal(host)
    if literal is not None:
        addresses: list[Address] = [literal]
    else:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise TargetUnresolved(f"{host} does not resolve: {exc}") from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(f[4][0]) for f in found))
    for address in addresses:
        why = refusal(address)
        if why is not None and not any(address in network for network in allow):
            shown = host if literal is not None else f"{host} resolves to {address}, which"
            raise TargetRefused(f"{shown} is {why} (GOTEO_WEBHOOK_ALLOW can allow it)")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, str(addresses[0]), path)
