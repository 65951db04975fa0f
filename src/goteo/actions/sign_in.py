"""The sign-in rate limit: failed attempts counted in the database, per address and per
username, so every web process shares the count."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from goteo.accounts.models import FailedLogin

WINDOW = timedelta(minutes=15)


def login_limited(ip: str | None, username: str, now: datetime) -> bool:
    """True while this address or this username has failed too often in the last window."""
    since = now - WINDOW
    recent = FailedLogin.objects.filter(at__gt=since)
    if ip and recent.filter(ip=ip).count() >= settings.GOTEO_LOGIN_LIMIT_PER_IP:
        return True
    name = username.strip().lower()
    return recent.filter(username=name).count() >= settings.GOTEO_LOGIN_LIMIT_PER_USER


def do_note_failed_login(ip: str | None, username: str, now: datetime) -> None:
    FailedLogin.objects.create(at=now, ip=ip, username=username.strip().lower()[:254])
    FailedLogin.objects.filter(at__lt=now - WINDOW).delete()  # the table stays small
