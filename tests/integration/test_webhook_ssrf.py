"""Webhooks never reach a non-public address unless the operator allows it: every forbidden
spelling, and a name resolving to one, is refused before connecting, redirects are not
followed, and a canary listening on loopback receives nothing."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

import pytest
from tests.integration.flow_helpers import T0, add_contacts, apply, make_worker, simple_template
from tests.integration.webhook_receiver import WebhookReceiver
from tests.smtp_sink import SmtpSink

from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.channels.base import Delivered, Permanent, Prepared
from goteo.channels.webhook import WebhookCall, WebhookProvider
from goteo.channels.webhook_targets import TargetRefused, allowed_networks, check_target
from goteo.engine.clock import ManualClock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def canary(settings: Any) -> Iterator[WebhookReceiver]:
    """A receiver on 127.0.0.1, with nothing allow-listed."""
    settings.GOTEO_WEBHOOK_ALLOW = ""
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


def forbidden(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/hook",
        f"http://localhost:{port}/hook",  # a name that resolves to loopback
        f"http://2130706433:{port}/hook",  # 127.0.0.1 as one decimal number
        f"http://0x7f000001:{port}/hook",  # … in hex
        f"http://0x7f.0.0.1:{port}/hook",
        f"http://0177.0.0.1:{port}/hook",  # … in octal
        f"http://127.1:{port}/hook",  # … shortened
        f"http://0.0.0.0:{port}/hook",  # unspecified: reaches loopback on Linux
        f"http://0:{port}/hook",
        f"http://[::1]:{port}/hook",
        f"http://[::ffff:127.0.0.1]:{port}/hook",  # IPv4-mapped IPv6
        f"http://[::ffff:7f00:1]:{port}/hook",
        f"http://[::]:{port}/hook",
        "http://10.0.0.1/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",  # shared address space
        "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
        "http://[fe80::1]/hook",
        "http://[fc00::1]/hook",
        "http://224.0.0.1/hook",
        "http://[ff02::1]/hook",
        "http://240.0.0.1/hook",  # reserved
        "http://255.255.255.255/hook",
        "http://192.0.2.1/hook",  # documentation
    ]


def deliver(url: str, delivery_id: int = 1) -> Any:
    call = WebhookCall(url, b'{"type":"test"}', delivery_id)
    return WebhookProvider().deliver(Prepared(delivery_id, call, to_address=url))


def test_every_forbidden_target_is_refused_and_the_canary_hears_nothing(
    canary: WebhookReceiver,
) -> None:
    port = canary.loopback.server.server_address[1]
    for url in forbidden(port):
        result = deliver(url)
        assert isinstance(result, Permanent), url
        assert "refused" in result.reason, url
    assert canary.calls == []


def test_the_refusal_says_why() -> None:
    with pytest.raises(TargetRefused, match="non-canonical spelling"):
        check_target("http://2130706433/")
    with pytest.raises(TargetRefused, match=r"localhost resolves to .*, which is a loopback"):
        check_target("http://localhost/")
    with pytest.raises(TargetRefused, match="IPv4-mapped"):
        check_target("http://[::ffff:8.8.8.8]/")
    with pytest.raises(TargetRefused, match="not an http"):
        check_target("file:///etc/passwd")
    with pytest.raises(TargetRefused, match="is not a network"):
        allowed_networks("127.0.0.1/32,nonsense")


def test_public_addresses_are_checked_but_not_refused() -> None:
    target = check_target("https://93.184.215.14:8443/in?x=1")
    assert (target.address, target.port, target.path) == ("93.184.215.14", 8443, "/in?x=1")
    assert check_target("http://[2606:4700::1111]/").address == "2606:4700::1111"


def test_an_allow_listed_network_is_reached(canary: WebhookReceiver, settings: Any) -> None:
    settings.GOTEO_WEBHOOK_ALLOW = "127.0.0.0/8"
    assert isinstance(deliver(canary.url), Delivered)
    assert isinstance(deliver(canary.url.replace("127.0.0.1", "localhost")), Delivered)
    assert len(canary.calls) == 2
    assert isinstance(deliver(canary.url.replace("127.0.0.1", "2130706433")), Permanent)
    assert len(canary.calls) == 2  # a strange spelling stays refused


@pytest.fixture
def redirector(canary: WebhookReceiver) -> Iterator[str]:
    """A receiver on another loopback address that redirects every call to the canary."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", canary.url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_a_redirect_is_never_followed(
    canary: WebhookReceiver, redirector: str, settings: Any
) -> None:
    settings.GOTEO_WEBHOOK_ALLOW = "127.0.0.0/8"  # the canary too: only the rule protects it
    result = deliver(redirector)
    assert isinstance(result, Permanent) and "redirects are not followed" in result.reason
    assert canary.calls == []


def test_a_campaign_webhook_to_a_forbidden_target_fails_with_the_reason(
    canary: WebhookReceiver, smtp_sink: SmtpSink
) -> None:
    url = canary.url.replace("127.0.0.1", "localhost")
    apply("crm", [{"id": "crm", "webhook": {"url": url}}], {"unused": simple_template("-")})
    ids = add_contacts({"email": "ana@example.com", "first_name": "Ana"})
    do_enroll("crm", ids.values(), T0)
    worker = make_worker(smtp_sink, ManualClock(T0))
    try:
        while worker.run_once():
            pass
    finally:
        worker.close()
    row = Delivery.objects.get(step_id="crm")
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    assert "which is a loopback address" in row.last_error
    assert canary.calls == []
