"""The dashboard: what runs, what was sent today and this week, what it earned, how the
list is taking it, what is paused and why, and whether the worker is alive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.http import HttpRequest, HttpResponse

from goteo.campaigns import activity, journey_clock
from goteo.campaigns.summaries import campaign_rows
from goteo.console.access import page
from goteo.console.rendering import show
from goteo.engine.durations import format_duration
from goteo.worker.heartbeat import last_beat
from goteo.worker.outbox_state import backlog

# A worker that has not beaten for this long is shown as not running.
STALE = timedelta(seconds=30)


@page
def dashboard(request: HttpRequest) -> HttpResponse:
    now = journey_clock.now()
    campaigns = campaign_rows()
    queue = backlog(now)
    rates = activity.rates(now)
    beat = last_beat()
    real_now = datetime.now(UTC)
    context = {
        "now": now,
        "running": [c for c in campaigns if c["status"] == "active"],
        "paused": [c for c in campaigns if c["status"] != "active"],
        "channels": activity.messages_per_channel(now),
        "week": activity.earnings(activity.week_start(now)),
        "all_time": activity.earnings(),
        "rates": rates,
        "bounce_pct": f"{rates.bounce_rate:.2%}",
        "complaint_pct": f"{rates.complaint_rate:.2%}",
        "backlog": queue,
        "lag_text": format_duration(timedelta(seconds=round(queue.lag(now).total_seconds()))),
        "beat": beat,
        "beat_age": (real_now - beat.at) if beat else None,
        "worker_alive": beat is not None and real_now - beat.at < STALE,
    }
    if getattr(request, "htmx", False):  # django-htmx: the worker panel refreshing itself
        return show(request, "console/worker_health.html", context, section="dashboard")
    return show(request, "console/dashboard.html", context, section="dashboard")
