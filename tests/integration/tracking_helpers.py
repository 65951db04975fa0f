"""Helpers for the tracking tests: a real marketing message, sent and parsed, and its links."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email.message import EmailMessage

from tests.integration.flow_helpers import (
    T0,
    Inbox,
    apply,
    body_text,
    close_worker,
    make_worker,
    people,
)
from tests.smtp_sink import SmtpSink

from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Delivery
from goteo.engine.clock import ManualClock

HTML = (
    "<html><body><p>Hello {{ contact.first_name | default: 'there' }}.</p>"
    '<p><a href="https://shop.example/spring?utm_source=goteo&amp;id=1">Spring sale</a></p>'
    "<p><a href='https://blog.example/post#part-2'>Read the post</a>"
    ' <a href="mailto:help@shop.example">Write to us</a> <a href="#top">Top</a></p>'
    '<p><a href="{{ preferences_url }}">Preferences</a></p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>'
)
TEXT = (
    "Hello {{ contact.first_name | default: 'there' }}.\n"
    "Spring sale: https://shop.example/spring?utm_source=goteo&id=1\n"
    "Docs: https://docs.example/start.\n"
    "Unsubscribe: {{ unsubscribe_url }}\n"
)
EXPECTED_LINKS = [
    "https://shop.example/spring?utm_source=goteo&id=1",
    "https://blog.example/post#part-2",
    "https://docs.example/start",
]
HREF = re.compile(r"""href=["']([^"']+)["']""")
SRC = re.compile(r"""<img src="([^"]+/o/[^"]+)\"""")


@dataclass(frozen=True)
class SentMessage:
    delivery: Delivery
    message: EmailMessage

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None
        return str(part.get_content())

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert isinstance(part, EmailMessage)
        return body_text(part)

    def hrefs(self) -> list[str]:
        return [html.unescape(h) for h in HREF.findall(self.html)]

    def pixel_url(self) -> str:
        match = SRC.search(self.html)
        assert match is not None, self.html
        return html.unescape(match.group(1))


def send_tracked(sink: SmtpSink, *names: str, key: str = "tracked") -> list[SentMessage]:
    """Apply a campaign with links, enroll ``names``, and send with the real worker."""
    apply(key, [{"id": "hello", "send": "email", "template": "hello"}],
          {"hello": {"en": {"subject": "Hi", "html": HTML, "text": TEXT}}})  # fmt: skip
    ids = people(*names)
    do_enroll(key, ids.values(), T0)
    inbox = Inbox(sink)
    worker = make_worker(sink, ManualClock(T0))
    try:
        worker.run_until_idle()
    finally:
        close_worker(worker)
    by_address = {str(m["to"].addresses[0].addr_spec): m for m in inbox.new()}
    sent = []
    for name in names:
        delivery = Delivery.objects.get(contact_id=ids[f"{name}@example.com"], campaign__key=key)
        sent.append(SentMessage(delivery, by_address[f"{name}@example.com"]))
    return sent


def path_of(url: str, base: str = "http://testserver") -> str:
    assert url.startswith(base + "/"), url
    return url[len(base) :]
