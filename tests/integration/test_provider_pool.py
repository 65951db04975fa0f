"""Several connections per worker through a provider's HTTP API (anymail's Postmark backend,
a real loopback endpoint answering like Postmark): every message once, one kept-open session
per connection; and the provider benchmark runs, in a tiny configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks.postmark_sink import PostmarkSink
from django.test import override_settings
from tests.integration.flow_helpers import apply, people, simple_template

from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.config import email_settings
from goteo.engine.clock import ManualClock
from goteo.worker.setup import build_worker

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def postmark() -> Iterator[PostmarkSink]:
    sink = PostmarkSink(keep=True).start()
    yield sink
    sink.stop()


def test_four_connections_deliver_every_message_once(
    postmark: PostmarkSink, clock: ManualClock
) -> None:
    apply(
        "drip",
        [{"id": "hello", "send": "email", "template": "hello"}],
        {"hello": simple_template("Hello {{ contact.first_name | default: 'friend' }}")},
    )
    ids = people(*(f"p{i}" for i in range(60)))
    do_enroll("drip", ids.values(), clock.now())
    config = email_settings(f"anymail+postmark://server-token@?api_url={postmark.api_url}")
    with override_settings(
        EMAIL_CONFIG=config, ANYMAIL=config.anymail, GOTEO_EMAIL_CONNECTIONS=4, GOTEO_DKIM="off"
    ):
        totals = build_worker(clock, batch=100).run_until_idle()
    assert totals.sent == 60
    assert Counter(m["To"].rpartition("<")[2].rstrip(">") for m in postmark.received) == Counter(
        list(ids)
    )
    sent_ids = {
        h["Value"] for m in postmark.received for h in m["Headers"] if h["Name"] == "Message-ID"
    }
    assert sent_ids == set(Delivery.objects.values_list("message_id", flat=True))
    assert len(sent_ids) == 60
    # One session per connection, kept open: four connections in all, for sixty messages.
    assert len(postmark.peers) == len(set(postmark.peers)) == 4
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert not Delivery.objects.filter(in_flight_until__gt=0).exists()


def test_the_provider_url_sets_the_providers_own_key() -> None:
    assert email_settings("anymail+postmark://tok@").anymail == {"POSTMARK_SERVER_TOKEN": "tok"}
    assert email_settings("anymail+sendgrid://key@").anymail == {"SENDGRID_API_KEY": "key"}


@pytest.mark.slow
def test_the_provider_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "provider.json"
    kind = "--no-sqlite" if os.environ.get("GOTEO_TEST_DB") == "postgres" else "--no-postgres"
    command = [sys.executable, "-m", "benchmarks.provider_http", kind, "--runs", "10x1,10x1c2"]
    command += ["--raw", "20", "--latency-ms", "0,1", "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    runs = json.loads(out.read_text())["runs"]
    assert [(r["connections"], r["latency_ms"], r["messages"]) for r in runs] == [
        (1, 0, 20), (2, 0, 20), (1, 1, 20), (2, 1, 20),
    ]  # fmt: skip
    assert "b/a" in done.stdout
