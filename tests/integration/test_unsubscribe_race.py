"""The unsubscribe race: once the one-click unsubscribe is acknowledged, nothing more arrives.

``goteo worker`` sends a batch of messages, one per contact, to a deliberately slow SMTP server
in this process, which notes when each message arrived. ``goteo serve`` answers the one-click
unsubscribe (RFC 8058). When the server has the data of one message in the claimed batch (its
message is on the wire: checked, not yet accepted), the test POSTs the unsubscribe for that
contact and for two contacts whose messages have not gone yet, and notes when each POST was
acknowledged. No contact may receive anything after its acknowledgement. It runs with one
worker of one connection, one of three (``GOTEO_EMAIL_CONNECTIONS``), and, on PostgreSQL,
three workers of two, three and two connections, as on three machines, over a backlog large
enough that each claims its share.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from tests.integration.procs import free_port, prepare_backlog, start_goteo
from tests.integration.slow_sink import SlowSink

from goteo.contacts.tokens import unsubscribe_token

pytestmark = pytest.mark.slow  # it runs `goteo serve` and a worker as real processes

MESSAGES = 40
# More than one worker claims at once (a hundred a connection), fewer than the API lists:
# the workers share them.
MESSAGES_MANY_WORKERS = 480
IN_FLIGHT = ("c5@example.com", "c15@example.com", "c25@example.com", "c35@example.com")
HOLD = 0.5  # seconds the server keeps each of those messages in flight
API_KEY = "race-test-key"


@dataclass
class Post:
    issued: float
    acknowledged: float = 0.0
    status: int = 0


def _get(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {API_KEY}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _wait_until_healthy(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("goteo serve did not start")


class Unsubscriber:
    """POSTs one-click unsubscribes in their own threads and notes when each was answered."""

    def __init__(self, url: str, tokens: dict[str, str]) -> None:
        self.url = url
        self.tokens = tokens
        self.posts: dict[str, Post] = {}
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def start(self, email: str) -> None:
        with self.lock:
            if email in self.posts:
                return
            self.posts[email] = Post(issued=time.monotonic())
        thread = threading.Thread(target=self._post, args=(email,))
        thread.start()
        self.threads.append(thread)

    def _post(self, email: str) -> None:
        request = urllib.request.Request(
            f"{self.url}/u/{self.tokens[email]}",
            data=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status = response.status
        post = self.posts[email]
        post.acknowledged, post.status = time.monotonic(), status

    def join(self) -> None:
        for thread in self.threads:
            thread.join(90)


@pytest.mark.parametrize(
    "connections",
    [
        pytest.param((1,), id="one-connection"),
        pytest.param((3,), id="three-connections"),
        pytest.param((2, 3, 2), marks=pytest.mark.postgres, id="three-workers"),
    ],
)
def test_nothing_arrives_after_the_unsubscribe_is_acknowledged(
    tmp_path: Path, goteo_env: dict[str, str], connections: tuple[int, ...]
) -> None:
    messages = MESSAGES if len(connections) == 1 else MESSAGES_MANY_WORKERS
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sink = SlowSink(delay=0.02).start()
    env = goteo_env | {
        "GOTEO_EMAIL_URL": f"{sink.url}?timeout=30",
        "GOTEO_BASE_URL": url,
        "GOTEO_API_KEY": API_KEY,
        "GOTEO_SECRET_KEY": settings.SECRET_KEY,  # the tokens are signed here too
    }
    prepare_backlog(env, tmp_path, messages)  # c0 … c39 (or more), one message each, unsent
    log = (tmp_path / "serve.log").open("w")  # a request per contact: too much for a pipe
    server = start_goteo(env, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "4", log=log)
    workers: list[subprocess.Popen[str]] = []
    try:
        _wait_until_healthy(url, server)
        emails = [f"c{i}@example.com" for i in range(messages)]
        ids = {e: _get(f"{url}/api/v1/contacts/{e}")["id"] for e in emails}
        unsubscriber = Unsubscriber(url, {e: unsubscribe_token(i) for e, i in ids.items()})

        def on_data(address: str) -> float | None:
            if address not in IN_FLIGHT:
                return None
            unsubscriber.start(address)  # its message is on the wire right now
            waiting = [
                e
                for e in emails
                if e not in IN_FLIGHT and e not in unsubscriber.posts and not sink.arrived_for(e)
            ]
            for later in waiting[:2]:  # two whose messages come later in the batch
                unsubscriber.start(later)
            return HOLD

        sink.on_data = on_data
        workers = [
            start_goteo(env | {"GOTEO_EMAIL_CONNECTIONS": str(n)}, "worker", "--json")
            for n in connections
        ]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            rows = _get(f"{url}/api/v1/deliveries?limit=500")["deliveries"]
            if len(rows) == messages and all(r["status"] != "pending" for r in rows):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the workers did not finish: {rows}")
        unsubscriber.join()
    finally:
        outputs = []
        for process in (*workers, server):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            outputs.append(process.communicate(timeout=60)[0])
        sink.stop()
        log.close()
    totals = [json.loads(out) for out in outputs[: len(workers)]]
    assert sum(t["sent"] > 0 for t in totals) >= min(len(workers), 2), totals

    statuses = {r["contact__email"]: r["status"] for r in rows}
    posts = unsubscriber.posts
    assert len(posts) >= 2 * len(IN_FLIGHT)  # fewer wait near the end of the batch
    for email, post in posts.items():
        assert post.status == 200, email
        arrived = sink.arrived_for(email)
        # The promise: nothing reaches a contact after the unsubscribe was acknowledged.
        assert all(t < post.acknowledged for t in arrived), (email, arrived, post)
        assert statuses[email] == ("sent" if arrived else "suppressed"), email
    for email in IN_FLIGHT:
        (arrived_at,) = sink.arrived_for(email)
        post = posts[email]
        # The race really happened: asked while the message was on the wire, answered after.
        assert post.issued < arrived_at < post.acknowledged, (email, post, arrived_at)
    others = set(emails) - set(posts)
    assert all(len(sink.arrived_for(e)) == 1 and statuses[e] == "sent" for e in others)
