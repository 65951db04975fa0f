"""Build a worker from the settings: the configured email channel and sender identity."""

from __future__ import annotations

from django.conf import settings

from goteo.channels.email.factory import email_channel
from goteo.engine.clock import Clock
from goteo.worker.composer import Composer, sender_from_settings
from goteo.worker.loop import Worker


def build_worker(clock: Clock, batch: int = 500, lease_seconds: float = 120.0) -> Worker:
    return Worker(
        clock=clock,
        channel=email_channel(settings.EMAIL_CONFIG),
        composer=Composer(sender_from_settings()),
        batch=batch,
        lease_seconds=lease_seconds,
    )
