"""The built-in mail catcher: an SMTP server on loopback that keeps every message in a Maildir."""

from __future__ import annotations

import mailbox
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _MaildirHandler:
    def __init__(self, folder: Path) -> None:
        self.box = mailbox.Maildir(folder, create=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = mailbox.MaildirMessage(envelope.original_content or envelope.content)
        self.box.add(message)
        return "250 OK caught"


class MailCatcher:
    """Start with ``start()``; messages land in ``folder`` (read them with ``caught()``)."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 1025) -> None:
        self.folder = folder
        self.controller = Controller(_MaildirHandler(folder), hostname=host, port=port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def caught(folder: Path, limit: int = 200) -> list[tuple[str, mailbox.MaildirMessage]]:
    """The newest messages first, as (key, message)."""
    if not folder.exists():
        return []
    box = mailbox.Maildir(folder, create=False)
    keyed = [(key, box.get_message(key)) for key in box.iterkeys()]
    keyed.sort(key=lambda item: item[1].get_date(), reverse=True)
    return keyed[:limit]
