"""``goteo worker`` as a real process: what it logs at the default level, what it says is left
when it stops with ``--until-idle``, and ``--wait-retries``."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from tests.integration.procs import goteo, prepare_backlog
from tests.smtp_sink import SmtpSink, free_port

pytestmark = pytest.mark.slow  # every test here runs `goteo worker` as a real process

RETRY_DUE = r"the next due \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in (5\ds|1m(\ds)?)\)"
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"


class Once(dict[str, str]):
    """Forced replies that the SMTP server gives once each, then accepts the recipient."""

    def get(self, key: str, default: Any = None) -> Any:
        return self.pop(key, default)


def test_until_idle_warns_about_a_refused_connection_and_says_what_is_left(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    port = free_port()  # nothing listens here
    env = goteo_env | {"GOTEO_EMAIL_URL": f"smtp://127.0.0.1:{port}?timeout=5"}
    prepare_backlog(env, tmp_path, 3)

    result = goteo(env, "worker", "--until-idle")

    warnings = [line for line in result.stderr.splitlines() if " WARNING " in line]
    assert len(warnings) == 1, result.stderr
    assert re.fullmatch(
        rf"{STAMP} WARNING goteo\.channels\.email\.smtp: cannot connect to 127\.0\.0\.1:{port}: "
        r".+; the message waits for a retry",
        warnings[0],
    ), warnings
    last = result.stderr.splitlines()[-2:]
    assert last[0] == "steps 3, sent 0, retried 3, failed 0, suppressed 0, postponed 0", last
    assert re.fullmatch(rf"left: 3 messages waiting to be retried, {RETRY_DUE}", last[1]), last

    again = json.loads(goteo(env, "worker", "--until-idle", "--json").stdout)
    assert (again["sent"], again["retried"]) == (0, 0)  # nothing was due yet
    assert again["left"]["retrying"] == 3 and again["left"]["next_retry"]


def test_wait_retries_waits_for_them_and_prints_progress(
    tmp_path: Path, goteo_env: dict[str, str], smtp_sink: SmtpSink
) -> None:
    env = goteo_env | {"GOTEO_EMAIL_URL": f"{smtp_sink.url}?timeout=5"}
    prepare_backlog(env, tmp_path, 3)
    smtp_sink.responses = Once({"c1@example.com": "451 4.3.0 try again later"})

    # Ten minutes a second: the one-minute retry comes after about a tenth of a second.
    args = ("worker", "--until-idle", "--wait-retries", "--speed", "600", "--progress", "0.001")
    result = goteo(env, *args)

    assert sorted(r for _, rcpts, _ in smtp_sink.messages for r in rcpts) == [
        "c0@example.com",
        "c1@example.com",
        "c2@example.com",
    ]
    lines = result.stderr.splitlines()
    progress = [line for line in lines if " INFO goteo.worker.progress: " in line]
    assert progress, result.stderr
    assert re.fullmatch(
        rf"{STAMP} INFO goteo\.worker\.progress: steps \d+, sent \d+ \([\d.,]+/s\), "
        r"retried \d+, failed 0, suppressed 0, postponed 0; backlog \d+ due, lag \w+",
        progress[0],
    ), progress
    assert "sent 3" in progress[-1] and "retried 1" in progress[-1], progress
    assert lines[-2:] == [
        "steps 3, sent 3, retried 1, failed 0, suppressed 0, postponed 0",
        "nothing left to do",
    ]


def test_wait_retries_gives_up_after_max_wait(
    tmp_path: Path, goteo_env: dict[str, str], smtp_sink: SmtpSink
) -> None:
    env = goteo_env | {"GOTEO_EMAIL_URL": f"{smtp_sink.url}?timeout=5"}
    prepare_backlog(env, tmp_path, 2)
    smtp_sink.responses["c1@example.com"] = "451 4.3.0 try again later"

    started = time.monotonic()
    args = ("worker", "--until-idle", "--wait-retries", "--max-wait", "2s", "--speed", "60")
    result = goteo(env, *args, "--progress", "0")
    took = time.monotonic() - started

    assert 2 <= took < 30, took
    lines = result.stderr.splitlines()
    assert not [line for line in lines if "goteo.worker.progress" in line]  # --progress 0
    assert re.fullmatch(
        r"stopped waiting \(--max-wait\); left: 1 message waiting to be retried, the next due "
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in \w+\)",
        lines[-1],
    ), lines


def test_wait_retries_needs_until_idle_and_max_wait_a_duration(goteo_env: dict[str, str]) -> None:
    alone = goteo(goteo_env, "worker", "--wait-retries", check=False)
    assert alone.returncode == 2 and "--wait-retries" in alone.stderr
    assert "goes with --until-idle" in alone.stderr
    bad = goteo(goteo_env, "worker", "--until-idle", "--max-wait", "soon", check=False)
    assert bad.returncode == 2 and "'soon' is not a duration" in bad.stderr
