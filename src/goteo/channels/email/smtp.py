"""Email over SMTP: one open connection, one message per transaction, typed results.

A reply in the 4xx range is retryable and one in the 5xx range is permanent; a 4xx that says we
send too fast (``421``, a ``4.7.x`` rate limit: ``smtp_throttling.py``) is ``Throttled``. A dropped
connection, a timeout or a failure to connect or log in is retryable, and the connection is
discarded so the next message opens a new one. When a connection that was kept open between
messages turns out to be dead before the message data was sent (servers close idle
connections), the message is tried once more on a new connection: the server cannot have
accepted it yet.

Failures to connect and lost connections are logged at WARNING (one line per run of failures,
repeated every minute while it lasts; see ``channels/connection_trouble.py``).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import UTC, datetime

from goteo.channels.base import (
    Delivered,
    OutgoingEmail,
    Permanent,
    Ready,
    Result,
    Retryable,
    Throttled,
)
from goteo.channels.connection_trouble import ConnectionTrouble
from goteo.channels.email.dkim import Signer
from goteo.channels.email.mime import InvalidMessage, build_message, encode_address, parse_sender
from goteo.channels.email.smtp_throttling import hint, is_throttle
from goteo.config import EmailConfig

log = logging.getLogger(__name__)


class _Refused(Exception):
    """The server answered a command with an error reply."""

    def __init__(self, command: str, code: int, reply: bytes | str) -> None:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        super().__init__(f"{command}: {code} {text}")
        self.code, self.text = code, text


class SmtpChannel:
    """Sends through an SMTP server; keeps its connection open between messages."""

    name = "smtp"
    capabilities = frozenset({"html", "text", "headers"})

    def __init__(
        self,
        config: EmailConfig,
        *,
        local_hostname: str | None = None,
        signer: Signer | None = None,
    ) -> None:
        self.config = config
        self.local_hostname = local_hostname
        self.signer = signer  # DKIM, when configured
        self._conn: smtplib.SMTP | None = None
        self._trouble = ConnectionTrouble(log, f"the SMTP server {self._server()}")

    def send(self, message: OutgoingEmail) -> Result:
        result = self.send_when(message, _always)
        assert result is not None
        return result

    def send_when(self, message: OutgoingEmail, ready: Ready) -> Result | None:
        """Send ``message``; ``ready()`` is asked between the envelope and the data (the
        point of no return): when it answers False the transaction is reset and None
        returned, the message having reached no one."""
        try:
            sender = message.return_path or parse_sender(message.from_addr)[1]
            recipient = encode_address(message.to_addr)
            data = build_message(message, datetime.now(UTC))
            if self.signer is not None:
                data = self.signer.sign(data)
        except InvalidMessage as exc:
            return Permanent(message.delivery_id, f"cannot build the message: {exc}")
        reused = self._conn is not None
        result, reached, trouble = self._attempt(
            message.delivery_id, sender, recipient, data, ready
        )
        dead = isinstance(result, Retryable) and not isinstance(result, Throttled)
        if dead and reused and not reached and self._conn is None:
            result, _, trouble = self._attempt(message.delivery_id, sender, recipient, data, ready)
        if result is None:
            return None
        if trouble:
            assert isinstance(result, Retryable)
            self._trouble.failed(result.reason)
        else:
            self._trouble.worked()
        return result

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()

    def _attempt(
        self, delivery_id: int, sender: str, recipient: str, data: bytes, ready: Ready
    ) -> tuple[Result | None, bool, bool]:
        """One try; the flags say whether the message data may have reached the server, and
        whether the connection failed (rather than the server answering). None: ``ready()``
        said not to send."""
        try:
            conn = self._connection()
        except (smtplib.SMTPException, OSError) as exc:
            reason = f"cannot connect to {self._server()}: {_why(exc)}"
            return Retryable(delivery_id, reason), False, True
        reached = False
        try:
            _expect(_command(conn, "mail", f"FROM:<{sender}>"), "MAIL FROM", 250)
            _expect(_command(conn, "rcpt", f"TO:<{recipient}>"), "RCPT TO", 250, 251)
            if not ready():
                self._reset(0)  # RSET: the envelope is dropped, nothing was delivered
                return None, False, False
            reached = True
            code, reply = _data(conn, data)
        except _Refused as exc:
            self._reset(exc.code)
            if exc.code >= 500:
                return Permanent(delivery_id, str(exc)), reached, False
            if is_throttle(exc.code, exc.text):
                return Throttled(delivery_id, str(exc), hint(exc.text)), reached, False
            return Retryable(delivery_id, str(exc)), reached, False
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            reason = f"connection to {self._server()} lost: {_why(exc)}"
            return Retryable(delivery_id, reason), reached, True
        return Delivered(delivery_id, f"{code} {reply.decode('utf-8', 'replace')}"), True, False

    def _connection(self) -> smtplib.SMTP:
        if self._conn is not None:
            return self._conn
        cfg = self.config
        conn: smtplib.SMTP
        if cfg.security == "ssl":
            conn = smtplib.SMTP_SSL(
                cfg.host,
                cfg.port,
                local_hostname=self.local_hostname,
                timeout=cfg.timeout,
                context=ssl.create_default_context(),
            )
        else:
            conn = smtplib.SMTP(
                cfg.host, cfg.port, local_hostname=self.local_hostname, timeout=cfg.timeout
            )
        try:
            if cfg.security == "starttls":
                conn.starttls(context=ssl.create_default_context())
            if cfg.username:
                conn.login(cfg.username, cfg.password)
            conn.ehlo_or_helo_if_needed()
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _reset(self, code: int) -> None:
        """After a refusal: 421 means the server is closing; otherwise clear the transaction."""
        if self._conn is None:
            return
        if code == 421:
            self._drop()
            return
        try:
            self._conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _server(self) -> str:
        return f"{self.config.host}:{self.config.port}"


def _always() -> bool:
    return True


def _command(conn: smtplib.SMTP, verb: str, argument: str) -> tuple[int, bytes]:
    """``MAIL`` or ``RCPT`` with an address already checked (``mime.encode_address``): what
    ``smtplib``'s own methods send, without parsing the address again for every message."""
    conn.putcmd(verb, argument)
    return conn.getreply()


def _expect(answer: tuple[int, bytes], command: str, *good: int) -> None:
    code, reply = answer
    if code not in good:
        raise _Refused(command, code, reply)


def _data(conn: smtplib.SMTP, data: bytes) -> tuple[int, bytes]:
    try:
        answer = conn.data(data)
    except smtplib.SMTPDataError as exc:  # the DATA command itself was refused
        raise _Refused("DATA", exc.smtp_code, exc.smtp_error) from exc
    _expect(answer, "DATA", 250)
    return answer


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
