"""The demo's fast clock: simulated time stands still while no worker runs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from goteo.campaigns.models import Setting
from goteo.worker.fastclock import KEY, StoredFastClock


@pytest.mark.django_db
def test_a_restarted_fast_clock_continues_from_its_last_position() -> None:
    first = StoredFastClock(speed=86400)  # a simulated day per real second
    time.sleep(0.05)
    first.checkpoint()
    reached = datetime.fromisoformat(Setting.objects.get(key=KEY).value)
    assert reached - datetime.now(UTC) > timedelta(hours=1)

    time.sleep(0.3)  # the worker is down: at full speed this would be 7 simulated hours
    second = StoredFastClock(speed=86400)
    assert timedelta(0) <= second.now() - reached < timedelta(hours=2)


@pytest.mark.django_db
def test_a_fast_clock_never_starts_behind_real_time() -> None:
    Setting.objects.create(key=KEY, value=(datetime.now(UTC) - timedelta(days=30)).isoformat())
    clock = StoredFastClock(speed=10)
    assert clock.now() >= datetime.now(UTC) - timedelta(seconds=1)
