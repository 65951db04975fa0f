"""Configuration from environment variables: database and email URLs, an optional file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url


class ConfigError(ValueError):
    """A setting that cannot be used, with the reason."""


def load_settings_file(path: str | None) -> None:
    """Read ``KEY=value`` lines into the environment; real environment variables win."""
    if not path:
        return
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip().startswith("GOTEO_"):
            raise ConfigError(f"{path}:{number}: expected GOTEO_NAME=value")
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


def database_settings(
    url: str | None, data_dir: Path, *, server_cursors: bool = True
) -> dict[str, Any]:
    """Django DATABASES['default'] for a URL; SQLite in the data folder when unset.

    ``server_cursors`` off (``GOTEO_DATABASE_SERVER_CURSORS=off``) makes PostgreSQL's
    ``.iterator()`` reads fetch in chunks from an ordinary cursor: behind a pooler in
    transaction mode, the server-side cursor Django declares outside a transaction outlives it,
    and its next fetch may reach another server connection (docs/scaling.md).
    """
    if not url:
        data_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{data_dir / 'goteo.sqlite3'}"
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=None))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # WAL lets the web server read while the worker writes; IMMEDIATE transactions take
            # the write lock up front so two writers queue instead of failing with "locked".
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                " PRAGMA busy_timeout=30000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
        config["TEST"] = {"NAME": os.environ.get("GOTEO_TEST_SQLITE_NAME") or None}
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["CONN_HEALTH_CHECKS"] = True
        config["DISABLE_SERVER_SIDE_CURSORS"] = not server_cursors
    return config


@dataclass(frozen=True)
class EmailConfig:
    """How email leaves: ``kind`` is smtp, console, file, memory or anymail."""

    kind: str
    django_backend: str
    host: str = ""
    port: int = 0
    username: str = ""
    password: str = ""
    security: str = "none"  # none | starttls | ssl
    timeout: float = 30.0
    file_path: str = ""
    anymail: dict[str, str] = field(default_factory=dict)


# The anymail setting the URL's user part sets, where a provider's key is not its API_KEY.
_ANYMAIL_KEY = {
    "postmark": "SERVER_TOKEN",
    "mailersend": "API_TOKEN",
    "mailtrap": "API_TOKEN",
    "scaleway": "SECRET_KEY",
}

_SIMPLE = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}


def email_settings(url: str) -> EmailConfig:
    """Parse ``GOTEO_EMAIL_URL``: smtp://…, smtps://…, console:, memory:, file:///… (or
    folder:/…), anymail+esp://."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if scheme in _SIMPLE:
        return EmailConfig(
            kind="console" if scheme == "console" else "memory", django_backend=_SIMPLE[scheme]
        )
    if scheme in ("file", "folder"):  # folder:/path is the name every channel's test provider has
        if not parts.path:
            raise ConfigError(
                f"{scheme}: email URL needs a folder, like {scheme}:///var/mail/goteo"
            )
        return EmailConfig(
            kind="file",
            django_backend="django.core.mail.backends.filebased.EmailBackend",
            file_path=unquote(parts.path),
        )
    if scheme in ("smtp", "smtps"):
        security = query.get("tls", "ssl" if scheme == "smtps" else "none").lower()
        if security not in ("none", "starttls", "ssl"):
            raise ConfigError(f"tls={security!r}: use none, starttls or ssl")
        if not parts.hostname:
            raise ConfigError("smtp email URL needs a host, like smtp://user:pass@host:587")
        default_port = {"none": 25, "starttls": 587, "ssl": 465}[security]
        return EmailConfig(
            kind="smtp",
            django_backend="django.core.mail.backends.smtp.EmailBackend",
            host=parts.hostname,
            port=parts.port or default_port,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            security=security,
            timeout=float(query.get("timeout", 30)),
        )
    if scheme.startswith("anymail+"):
        esp = scheme.removeprefix("anymail+")
        if not esp.isidentifier():
            raise ConfigError(f"{esp!r} is not an anymail provider name")
        settings = {f"{esp.upper()}_{k.upper()}": v for k, v in query.items()}
        if parts.username:
            key = _ANYMAIL_KEY.get(esp, "API_KEY")
            settings[f"{esp.upper()}_{key}"] = unquote(parts.username)
        return EmailConfig(
            kind="anymail",
            django_backend=f"anymail.backends.{esp}.EmailBackend",
            anymail=settings,
        )
    raise ConfigError(
        f"GOTEO_EMAIL_URL {url!r} is not understood; use smtp://, smtps://, console:, memory:,"
        " file:///folder or anymail+<provider>://<api-key>@"
    )


def dkim_mode(value: str) -> str:
    """``GOTEO_DKIM``: ``auto`` (sign over SMTP, with a generated key if none is set) or ``off``."""
    mode = value.strip().lower() or "auto"
    if mode not in ("auto", "off"):
        raise ConfigError(f"GOTEO_DKIM={value!r}: use auto (the default) or off")
    return mode
