"""``goteo serve`` and ``goteo worker`` as real processes over documents applied with the CLI,
sending to a real SMTP server on loopback: the site a form test fills in."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from tests.integration.procs import free_port, goteo, goteo_json, start_goteo, wait_until_healthy
from tests.smtp_sink import SmtpSink


@dataclass(frozen=True)
class FormSite:
    url: str
    env: dict[str, str]
    sink: SmtpSink

    def wait_for_messages(self, count: int, seconds: float = 30) -> list[EmailMessage]:
        deadline = time.monotonic() + seconds
        while len(self.sink.messages) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        parser = BytesParser(policy=policy.default)
        messages = [parser.parsebytes(raw) for _, _, raw in self.sink.messages]
        assert len(messages) == count, [str(m["subject"]) for m in messages]
        return [m for m in messages if isinstance(m, EmailMessage)]

    def contact_status(self, email: str) -> str:
        return str(goteo_json(self.env, "contacts", "show", email)["status"])


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


@contextmanager
def form_site(goteo_env: dict[str, str], *documents: tuple[str, Path]) -> Iterator[FormSite]:
    """A fresh database with each ``(kind, file)`` applied (``goteo <kind> apply <file>``)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with SmtpSink() as sink:
        env = goteo_env | {"GOTEO_BASE_URL": url, "GOTEO_EMAIL_URL": sink.url}
        goteo(env, "migrate")
        for kind, path in documents:
            goteo(env, kind, "apply", str(path))
        server = start_goteo(env, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1")
        worker = start_goteo(env, "worker")
        try:
            wait_until_healthy(url, server)
            yield FormSite(url, env, sink)
        finally:
            stop(worker)
            stop(server)
