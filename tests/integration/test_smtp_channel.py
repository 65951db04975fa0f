"""The SMTP channel against a real SMTP server: results, reconnection, what arrives."""

from __future__ import annotations

from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from tests.smtp_sink import SmtpSink

from goteo.channels.base import Delivered, OutgoingEmail, Permanent, Retryable
from goteo.channels.email.factory import email_channel
from goteo.channels.email.smtp import SmtpChannel
from goteo.config import email_settings


def outgoing(delivery_id: int = 1, to_addr: str = "ana@example.com") -> OutgoingEmail:
    return OutgoingEmail(
        delivery_id=delivery_id,
        message_id=f"{delivery_id}.welcome@goteo.example",
        from_addr="Tienda Ñandú <shop@goteo.example>",
        to_addr=to_addr,
        to_name="Ana Pérez",
        subject="¡Bienvenida, Ana! 🎁",
        html='<p style="color: red;">Hola Ana</p>',
        text="Hola Ana\n",
        headers={"List-Unsubscribe": "<https://goteo.example/u/1>"},
    )


@pytest.fixture
def channel(smtp_sink: SmtpSink) -> Iterator[SmtpChannel]:
    smtp = email_channel(email_settings(f"{smtp_sink.url}?timeout=5"))
    assert isinstance(smtp, SmtpChannel)
    yield smtp
    smtp.close()


def received(smtp_sink: SmtpSink, index: int = -1) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(smtp_sink.messages[index][2])
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_accepted_message_arrives_whole(channel: SmtpChannel, smtp_sink: SmtpSink) -> None:
    result = channel.send(outgoing())
    assert isinstance(result, Delivered)
    assert "queued as SINK1" in result.detail
    sender, recipients, _ = smtp_sink.messages[0]
    assert (sender, recipients) == ("shop@goteo.example", ["ana@example.com"])
    msg = received(smtp_sink)
    assert msg["subject"] == "¡Bienvenida, Ana! 🎁"
    assert msg["from"].addresses[0].display_name == "Tienda Ñandú"
    assert msg["to"].addresses[0].addr_spec == "ana@example.com"
    assert msg["message-id"] == "<1.welcome@goteo.example>"
    assert msg["list-unsubscribe"] == "<https://goteo.example/u/1>"
    assert msg["date"].datetime.tzinfo is not None
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n") == "Hola Ana\n"
    assert html.get_content().strip() == '<p style="color: red;">Hola Ana</p>'


def test_one_connection_serves_many_messages(channel: SmtpChannel, smtp_sink: SmtpSink) -> None:
    results = [channel.send(outgoing(i, f"user{i}@example.com")) for i in range(1, 21)]
    assert all(isinstance(r, Delivered) for r in results)
    assert [m[1] for m in smtp_sink.messages] == [[f"user{i}@example.com"] for i in range(1, 21)]


def test_the_envelope_goes_before_the_verdict_and_the_data_after(
    channel: SmtpChannel, smtp_sink: SmtpSink
) -> None:
    seen: list[tuple[list[str], int]] = []

    def ready() -> bool:  # asked at the point of no return
        seen.append((list(smtp_sink.envelopes), len(smtp_sink.messages)))
        return True

    assert isinstance(channel.send_when(outgoing(1), ready), Delivered)
    assert seen == [(["ana@example.com"], 0)]  # RCPT accepted, no data yet
    assert len(smtp_sink.messages) == 1


def test_a_message_refused_at_the_last_moment_reaches_no_one(
    channel: SmtpChannel, smtp_sink: SmtpSink
) -> None:
    assert channel.send_when(outgoing(1, "gone@example.com"), lambda: False) is None
    assert smtp_sink.messages == [] and smtp_sink.envelopes == ["gone@example.com"]
    # The transaction was reset: the next message on the same connection goes to its own
    # recipient only.
    assert isinstance(channel.send(outgoing(2)), Delivered)
    assert [m[1] for m in smtp_sink.messages] == [["ana@example.com"]]


def test_temporary_refusal_is_retryable(channel: SmtpChannel, smtp_sink: SmtpSink) -> None:
    smtp_sink.responses["later@example.com"] = "451 4.3.0 try later"
    result = channel.send(outgoing(2, "later@example.com"))
    assert isinstance(result, Retryable)
    assert "451" in result.reason and "try later" in result.reason
    assert isinstance(channel.send(outgoing(3)), Delivered)  # the connection still works


def test_unknown_user_is_permanent(channel: SmtpChannel, smtp_sink: SmtpSink) -> None:
    smtp_sink.responses["nobody@example.com"] = "550 5.1.1 no such user"
    result = channel.send(outgoing(2, "nobody@example.com"))
    assert isinstance(result, Permanent)
    assert "550" in result.reason and "no such user" in result.reason
    assert isinstance(channel.send(outgoing(3)), Delivered)
    assert len(smtp_sink.messages) == 1


@pytest.mark.parametrize(
    ("reply", "kind"), [("452 4.3.1 full", Retryable), ("554 5.6.0 no", Permanent)]
)
def test_refused_data_is_classified(
    channel: SmtpChannel, smtp_sink: SmtpSink, reply: str, kind: type
) -> None:
    smtp_sink.data_reply = reply
    result = channel.send(outgoing())
    assert isinstance(result, kind)
    assert isinstance(result, Retryable | Permanent)
    assert reply.split()[0] in result.reason


def test_message_that_cannot_be_written_is_permanent(channel: SmtpChannel) -> None:
    result = channel.send(outgoing(to_addr="ñandú@example.com"))
    assert isinstance(result, Permanent)
    assert "SMTPUTF8" in result.reason


def test_server_down_is_retryable_then_reconnects(
    channel: SmtpChannel, smtp_sink: SmtpSink
) -> None:
    assert isinstance(channel.send(outgoing(1)), Delivered)
    smtp_sink.stop()
    result = channel.send(outgoing(2))
    assert isinstance(result, Retryable)
    assert "cannot connect" in result.reason
    smtp_sink.start()
    assert isinstance(channel.send(outgoing(3)), Delivered)
    assert [m[1] for m in smtp_sink.messages] == [["ana@example.com"]] * 2


def test_idle_connection_closed_by_server_is_reopened(
    channel: SmtpChannel, smtp_sink: SmtpSink
) -> None:
    assert isinstance(channel.send(outgoing(1)), Delivered)
    smtp_sink.stop()
    smtp_sink.start()  # the kept connection is dead; the server is back
    assert isinstance(channel.send(outgoing(2)), Delivered)
    assert len(smtp_sink.messages) == 2


def test_nothing_listening_is_retryable() -> None:
    idle = SmtpSink()  # a free port with no server on it
    smtp = SmtpChannel(email_settings(f"{idle.url}?timeout=2"))
    result = smtp.send(outgoing())
    assert isinstance(result, Retryable)
    smtp.close()
