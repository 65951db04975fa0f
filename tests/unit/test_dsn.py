"""Reading returned mail: DSNs (RFC 3464) from Postfix, Exim and Gmail, ARF complaints, and
SMTP codes. No database."""

from __future__ import annotations

from pathlib import Path

import pytest

from goteo.channels.email.bounce_status import severity, status_code
from goteo.inbound.dsn import ARF, DSN, OTHER, parse_report

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "dsn"


def sample(name: str) -> bytes:
    # Mail arrives with CRLF line ends; the samples are stored with LF.
    return (SAMPLES / name).read_bytes().replace(b"\n", b"\r\n")


def test_postfix_user_unknown_is_a_hard_bounce() -> None:
    report = parse_report(sample("postfix_hard.eml"))
    assert report.kind == DSN
    assert report.original_message_id == "<goteo.29.9f2b7c61d04e8a35@goteo.example.com>"
    assert report.fields["Reporting-MTA"] == "dns; mail.goteo.example.com"
    (rcpt,) = report.recipients
    assert rcpt.final_recipient == "ana.lopez@example.org"
    assert rcpt.original_recipient == "ana.lopez@example.org"
    assert (rcpt.action, rcpt.status, rcpt.event_type, rcpt.bounce) == (
        "failed",
        "5.1.1",
        "bounced",
        "hard",
    )
    assert rcpt.diagnostic.startswith("smtp; 550 5.1.1 <ana.lopez@example.org>: Recipient")
    assert "User unknown in virtual mailbox table" in rcpt.description


def test_gmail_no_such_user_is_a_hard_bounce() -> None:
    report = parse_report(sample("gmail_hard.eml"))
    assert report.kind == DSN
    assert report.original_message_id == "<goteo.43.0b6e2d9f41a7c358@goteo.example.com>"
    (rcpt,) = report.recipients
    assert (rcpt.final_recipient, rcpt.status, rcpt.bounce) == (
        "marta.ruiz@gmail.com",
        "5.1.1",
        "hard",
    )
    assert "NoSuchUser" in rcpt.diagnostic


def test_exim_gives_up_on_a_full_mailbox_a_soft_bounce() -> None:
    report = parse_report(sample("exim_soft.eml"))
    (rcpt,) = report.recipients
    assert report.original_message_id == "<goteo.42.c81d4e2f7a9b0356@goteo.example.com>"
    assert (rcpt.action, rcpt.status, rcpt.event_type, rcpt.bounce) == (
        "failed",
        "4.0.0",
        "bounced",
        "soft",
    )
    assert rcpt.final_recipient == "luis.garcia@example.net"


def test_a_delay_warning_is_not_a_bounce() -> None:
    (rcpt,) = parse_report(sample("postfix_delayed.eml")).recipients
    assert (rcpt.action, rcpt.status, rcpt.event_type, rcpt.bounce) == (
        "delayed",
        "4.4.1",
        "deferred",
        "",
    )


def test_an_arf_abuse_report_is_a_complaint() -> None:
    report = parse_report(sample("arf_complaint.eml"))
    assert report.kind == ARF and report.is_complaint
    assert report.feedback_type == "abuse"
    assert report.complained_recipient == "sofia.martin@yahoo.com"
    assert report.original_message_id == "<goteo.45.2e7b9d0c4f1a6358@goteo.example.com>"
    assert report.fields["Source-IP"] == "192.0.2.80"
    assert report.recipients == ()


def test_a_not_spam_feedback_report_is_not_a_complaint() -> None:
    data = sample("arf_complaint.eml").replace(b"Feedback-Type: abuse", b"Feedback-Type: not-spam")
    report = parse_report(data)
    assert report.kind == ARF and not report.is_complaint


def test_a_plain_text_bounce_is_kept_but_not_understood() -> None:
    report = parse_report(sample("qmail_plain.eml"))
    assert (report.kind, report.recipients, report.subject) == (OTHER, (), "failure notice")


MULTI = b"""\
From: MAILER-DAEMON@mx.example.com
Subject: Returned mail
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

Two recipients.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; a@example.com
Action: failed
Status: 5.2.1 (mailbox disabled)

Final-Recipient: rfc822; <b@example.com>
Action: Delivered
Status: 2.0.0

--b1--
"""


def test_a_dsn_with_two_recipients_and_no_returned_message() -> None:
    report = parse_report(MULTI)
    assert report.original_message_id == ""
    first, second = report.recipients
    assert (first.final_recipient, first.status, first.bounce) == ("a@example.com", "5.2.1", "hard")
    assert (second.final_recipient, second.event_type, second.bounce) == (
        "b@example.com",
        "delivered",
        "",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smtp; 550 5.1.1 <a@b>: user unknown", "hard"),
        ("smtp;550 Mailbox not found", "hard"),
        ("452 4.2.2 Mailbox full", "soft"),
        ("421 Service not available", "soft"),
        ("4.4.7 (delivery time expired)", "soft"),
        ("250 2.0.0 OK", ""),
        ("The recipient's mailbox does not exist.", ""),
        ("host 192.0.2.25 said: connection refused", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_smtp_severity(text: str | None, expected: str) -> None:
    assert severity(text) == expected


def test_status_code_reads_the_enhanced_code_only() -> None:
    assert status_code("5.1.1 (bad destination mailbox address)") == "5.1.1"
    assert status_code("version 1.2.3.4") == ""
