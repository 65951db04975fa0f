"""Running ``goteo`` as a real process from a test, and reading what the mail catcher caught."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from goteo.mailcatcher import caught


def goteo(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "goteo", *args], env=env, capture_output=True, text=True, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f"goteo {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def goteo_json(env: dict[str, str], *args: str) -> Any:
    return json.loads(goteo(env, *args, "--json").stdout)


def start_goteo(env: dict[str, str], *args: str, log: Any = None) -> subprocess.Popen[str]:
    """``goteo *args``; its output is read when it ends. A process that logs a lot while the
    test runs (a server's access log) needs a ``log`` file for its output: a full pipe would
    block it."""
    return subprocess.Popen(
        [sys.executable, "-m", "goteo", *args],
        env=env,
        stdout=subprocess.PIPE if log is None else log,
        stderr=subprocess.PIPE if log is None else log,
        text=True,
        start_new_session=True,  # its own process group, so kill_group reaches its children
    )


def start_workers(
    env: dict[str, str], connections: Sequence[int], *args: str
) -> list[subprocess.Popen[str]]:
    """One ``goteo worker`` per entry, each sending through that many SMTP connections."""
    return [
        start_goteo(env | {"GOTEO_EMAIL_CONNECTIONS": str(n)}, "worker", "--json", *args)
        for n in connections
    ]


def stop_workers(workers: Sequence[subprocess.Popen[str]]) -> list[dict[str, int]]:
    """Stop them as an operator would (SIGTERM) and read each one's totals."""
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    totals = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        totals.append(json.loads(out))
    return totals


def kill_group(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """Kill a goteo process and every process it started (the demo's server and worker), which
    would otherwise keep its output pipes open, and read what it printed."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    return proc.communicate()


def wait_until_healthy(url: str, server: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            out, err = server.communicate()
            raise AssertionError(f"goteo serve stopped:\n{out}\n{err}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url}/healthz did not answer within {seconds} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def message_ids(mailbox: Path) -> Counter[str]:
    """How many times each Message-ID arrived."""
    return Counter(str(msg["Message-ID"]) for _, msg in caught(mailbox, limit=10**9))


def wait_for_messages(mailbox: Path, count: int, seconds: float) -> None:
    """Until ``count`` messages have arrived (repeats included) or ``seconds`` have passed;
    then a second more, for anything sent twice to arrive too."""
    deadline = time.monotonic() + seconds
    while sum(message_ids(mailbox).values()) < count and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(1)


def write_contacts(path: Path, count: int) -> None:
    lines = ["email,first_name,locale,timezone"]
    lines += [f"c{i}@example.com,Nombre{i},es,Europe/Madrid" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


ONE_SEND_CAMPAIGN = """
key: blast
name: One message each
trigger: {subscribed: news}
steps:
  - send: email
    template: hello
templates:
  hello:
    en: {subject: "Hello {{ contact.first_name | default: 'you' }}", html: "<p>Hi</p>"}
    es: {subject: "Hola {{ contact.first_name | default: 'tú' }}", html: "<p>Hola</p>"}
"""


def prepare_backlog(env: dict[str, str], tmp: Path, count: int) -> None:
    """A migrated database with ``count`` contacts each owed one message."""
    goteo(env, "migrate")
    campaign = tmp / "blast.yaml"
    campaign.write_text(ONE_SEND_CAMPAIGN, encoding="utf-8")
    goteo(env, "campaign", "apply", str(campaign))
    contacts = tmp / "contacts.csv"
    write_contacts(contacts, count)
    result = goteo_json(env, "contacts", "import", str(contacts), "--subscribe", "news")
    assert result["enrolled"] == {"blast": count}, result
