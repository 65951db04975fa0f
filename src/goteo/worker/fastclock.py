"""A fast clock whose anchor is kept in the database, so a restarted worker continues."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.db import transaction

from goteo.campaigns.models import Setting
from goteo.engine.clock import SpeedClock

KEY = "fast_clock"


def stored_speed_clock(speed: float) -> SpeedClock:
    """Continue the stored fast clock, re-anchored at the virtual time it has reached."""
    with transaction.atomic():
        row = Setting.objects.select_for_update().filter(key=KEY).first()
        real_now = time.time()
        if row is None:
            virtual_now = datetime.now(UTC)
        else:
            real_anchor, virtual_anchor, old_speed = row.value.split("|")
            virtual_now = datetime.fromisoformat(virtual_anchor) + (
                datetime.fromtimestamp(real_now, UTC)
                - datetime.fromtimestamp(float(real_anchor), UTC)
            ) * float(old_speed)
        value = f"{real_now}|{virtual_now.isoformat()}|{speed}"
        Setting.objects.update_or_create(key=KEY, defaults={"value": value})
    return SpeedClock(real_anchor=real_now, virtual_anchor=virtual_now, speed=speed)
