"""The bulk mailer's connection, how SMTP failures are classified, and pacing.

With Django's SMTP backend we call smtplib's `sendmail` on its open
connection with our own bytes (one connection per batch); any other mailer
(console, file, locmem) gets the same bytes in a RawEmailMessage.
"""

import smtplib
import socket
import time

from django.core.mail import mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

from newsletter.mime import RawEmailMessage


class Transport:
    """The bulk mailer, one connection per batch.

    With the SMTP backend we call smtplib's sendmail on Django's open
    connection directly with our bytes; other backends get a RawEmailMessage.
    """

    def __init__(self, alias="bulk"):
        self.backend = mailers[alias]
        self.is_smtp = isinstance(self.backend, SMTPBackend)

    def send(self, from_addr: str, to_addr: str, raw: bytes) -> None:
        if self.is_smtp:
            if self.backend.connection is None:
                self.backend.open()
            self.backend.connection.sendmail(from_addr, [to_addr], raw)
        else:
            self.backend.send_messages([RawEmailMessage(raw, from_addr, to_addr)])

    def reset(self) -> None:
        try:
            self.backend.close()
        except (smtplib.SMTPException, OSError):
            pass
        if self.is_smtp:
            self.backend.connection = None

    close = reset


# What a failure means for the row, the address and the connection.
TEMPORARY, PERMANENT, BOUNCE, CONNECTION = (
    "temporary",
    "permanent",
    "bounce",
    "connection",
)


def classify(exc: Exception) -> tuple[str, int | None, str]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(exc.recipients.values()))
        text = (
            message.decode("utf-8", "replace")
            if isinstance(message, bytes)
            else str(message)
        )
        return (BOUNCE if 500 <= code < 600 else TEMPORARY), code, text
    if isinstance(exc, smtplib.SMTPSenderRefused):
        # Our sender refused: nothing to do with this reader; stop the batch.
        return CONNECTION, exc.smtp_code, str(exc.smtp_error)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        if code == 421 or isinstance(exc, smtplib.SMTPConnectError):
            return CONNECTION, code, text
        return (PERMANENT if 500 <= code < 600 else TEMPORARY), code, text
    if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError, socket.timeout)):
        return CONNECTION, None, str(exc) or type(exc).__name__
    if isinstance(exc, (ValueError, UnicodeError)):
        return PERMANENT, None, str(exc)
    return TEMPORARY, None, f"{type(exc).__name__}: {exc}"


class Pacer:
    """At most `per_second` messages a second from this process (0 = no limit)."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second if per_second and per_second > 0 else 0.0
        self.next = time.monotonic()

    def wait(self):
        if not self.interval:
            return
        now = time.monotonic()
        if self.next > now:
            time.sleep(self.next - now)
        self.next = max(self.next, now) + self.interval
