"""The print provider named by ``GOTEO_MAIL_URL``.

- ``folder:/path/to/print`` — the print-house export (``PrintHouse``), also the test double;
- ``lob://API_KEY@api.lob.com`` — the print-and-mail API over HTTPS (``LobChannel``);
  ``lob+http://API_KEY@127.0.0.1:8025`` speaks plain HTTP, for a local stand-in.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from goteo.channels.direct_mail.lob import LobChannel
from goteo.channels.direct_mail.print_house import PrintHouse
from goteo.contacts.postal import PostalAddress


def mail_provider(
    url: str, *, secret: str, sender: PostalAddress | None
) -> PrintHouse | LobChannel:
    """The provider for ``url``; ValueError naming GOTEO_MAIL_URL when it is not one."""
    house = print_house(url)
    if house is not None:
        return house
    parts = urlsplit(url)
    if parts.scheme in ("lob", "lob+http") and parts.hostname:
        if not parts.username:
            raise ValueError("GOTEO_MAIL_URL: put the API key before the host (lob://KEY@host)")
        if sender is None:
            raise ValueError("GOTEO_MAIL_SENDER: the print API needs the return address (JSON)")
        scheme = "http" if parts.scheme == "lob+http" else "https"
        port = f":{parts.port}" if parts.port else ""
        base = f"{scheme}://{parts.hostname}{port}{parts.path}"
        return LobChannel(base, unquote(parts.username), secret, sender)
    raise ValueError(
        f"GOTEO_MAIL_URL: {url!r} is not a print provider (use folder:/path or lob://KEY@host)"
    )


def print_house(url: str) -> PrintHouse | None:
    """The print-house export a ``folder:`` URL names; None for any other URL."""
    if not url.startswith("folder:"):
        return None
    folder = url.removeprefix("folder:").removeprefix("//")
    if not folder:
        raise ValueError("GOTEO_MAIL_URL: folder: needs a path (folder:/var/goteo/print)")
    return PrintHouse(Path(folder))
