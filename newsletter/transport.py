"""The bulk mailer's connection, how SMTP failures are classified, and pacing.

A failure is put down to the reader's mailbox or to us (the relay, our
sender, our message) by its RFC 3463 enhanced status code; only a mailbox
that is gone unsubscribes anyone (see `classify`).

With Django's SMTP backend we call smtplib's `sendmail` on its open
connection with our own bytes (one connection per batch); any other mailer
(console, file, locmem) gets the same bytes in a RawEmailMessage.
"""

import re
import smtplib
import time
from typing import NamedTuple

from anymail.backends.base import AnymailBaseBackend
from django.core.mail import mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

from newsletter import providers
from newsletter.mime import RawEmailMessage


class Transport:
    """The bulk mailer, one connection per batch.

    With the SMTP backend we call smtplib's sendmail on Django's open
    connection directly with our bytes; other backends get a RawEmailMessage.
    """

    def __init__(self, alias="bulk"):
        self.backend = mailers[alias]
        self.is_smtp = isinstance(self.backend, SMTPBackend)
        self.is_provider = isinstance(self.backend, AnymailBaseBackend)
        self.opened = False

    def send(self, from_addr: str, to_addr: str, raw: bytes) -> str:
        """Send one message; the provider's id for it ("" when the id is
        ours: the Message-ID in `raw`)."""
        if self.is_smtp:
            if self.backend.connection is None:
                self.backend.open()
            self.backend.connection.sendmail(from_addr, [to_addr], raw)
        elif self.is_provider:
            if not self.opened:
                # One HTTP session for the batch (anymail keeps it while open).
                self.backend.open()
                self.opened = True
            return providers.send(self.backend, from_addr, to_addr, raw)
        else:
            self.backend.send_messages([RawEmailMessage(raw, from_addr, to_addr)])
        return ""

    def reset(self) -> None:
        try:
            self.backend.close()
        except (smtplib.SMTPException, OSError):
            pass
        if self.is_smtp:
            self.backend.connection = None
        self.opened = False

    close = reset


# What a failure means for the row, the reader's subscription and the send:
#   BOUNCE      the mailbox is gone: the delivery fails, the reader is unsubscribed
#   PERMANENT   this reader's mailbox refused it: the delivery fails, nothing else
#   TEMPORARY   this reader's mailbox, for now: retried with back-off
#   RELAY       the relay's, the sender's or a policy's problem, not the reader's:
#               retried, and counted by the breaker (breaker.py)
#   CONNECTION  the connection broke: retried on a new one, counted by the breaker
BOUNCE, PERMANENT, TEMPORARY, RELAY, CONNECTION = (
    "bounce",
    "permanent",
    "temporary",
    "relay",
    "connection",
)

# RFC 3463 enhanced status codes (class.subject.detail): the subject and
# detail say whose problem a refusal is, the reply code only how lasting.
# X.1.x is addressing, X.2.x the mailbox: the reader's, except X.1.0 ("other
# address status", which Postfix also uses for a refused *sender*), X.1.7 and
# X.1.8 (the sender's address) and X.2.3 (our message's size). Everything
# else, X.3 mail system, X.4 routing, X.5 protocol, X.6 content and X.7
# security or policy, and every reply without an enhanced code, is about us:
# the relay, our sender, our message or our IP. Only a gone mailbox unsubscribes.
# X.4.1 too: Exchange Online's "550 5.4.1 Recipient address rejected: Access
# denied" is a tenant's policy (directory-based edge blocking), not proof that
# the mailbox is gone.
GONE = {"1.1", "1.2", "1.3", "1.6", "1.10", "2.1"}
READERS = GONE | {"1.4", "2.0", "2.2", "2.4"}
ENHANCED = re.compile(r"\s*([245])\.(\d{1,3})\.(\d{1,3})(?!\S)")


class Failure(NamedTuple):
    kind: str
    code: int | None  # the SMTP reply code
    text: str  # the server's reply (or the error), without the code
    status: str = ""  # the RFC 3463 enhanced status code, if the server gave one

    @property
    def reason(self) -> str:
        """What the breaker compares: the same reason failing again and again."""
        if self.kind == CONNECTION:
            return "connection"
        if self.code is None:
            return self.text.partition(":")[0][:64]
        return f"{self.code} {self.status}".strip()

    @property
    def reply(self) -> str:
        """As the server said it, for people."""
        return f"{self.code} {self.text}" if self.code is not None else self.text


def _text(message) -> str:
    if isinstance(message, bytes):
        return message.decode("utf-8", "replace")
    return str(message)


def enhanced_status(text: str) -> str:
    found = ENHANCED.match(text)
    return ".".join(found.groups()) if found else ""


def _reply(code: int, message, *, ours=False) -> Failure:
    """A refusal of the recipient or the message: whose is it?"""
    text = _text(message)
    status = enhanced_status(text)
    if code == 421:
        # The server is closing the connection, whatever the stage.
        return Failure(CONNECTION, code, text, status)
    subject = status.partition(".")[2]
    readers = not ours and subject in READERS
    if 400 <= code < 500:
        kind = TEMPORARY if readers else RELAY
    elif 500 <= code < 600 and readers:
        kind = BOUNCE if subject in GONE else PERMANENT
    else:
        kind = RELAY
    return Failure(kind, code, text, status)


def classify(exc: Exception) -> Failure:
    if isinstance(exc, providers.RecipientRefused):
        # The provider's answer for this reader (newsletter/providers.py).
        return Failure(exc.kind, None, exc.text)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(exc.recipients.values()))
        return _reply(code, message)
    if isinstance(exc, smtplib.SMTPDataError):
        # A refusal at DATA after the recipient was accepted: a 5.1.1 here is
        # still the reader's (some servers check mailboxes late).
        return _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPConnectError):
        return Failure(CONNECTION, exc.smtp_code, _text(exc.smtp_error))
    if isinstance(exc, smtplib.SMTPResponseException):
        # MAIL FROM, AUTH, STARTTLS, HELO: our sender or our login, never the reader.
        return _reply(exc.smtp_code, exc.smtp_error, ours=True)
    if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
        return Failure(CONNECTION, None, str(exc) or type(exc).__name__)
    if isinstance(exc, (ValueError, UnicodeError)):
        # This reader's address or name cannot go in a header.
        return Failure(PERMANENT, None, str(exc))
    # Anything else (a bug, a backend's own error) is ours, not the reader's;
    # if it keeps happening the breaker pauses the send and shows it.
    return Failure(RELAY, None, f"{type(exc).__name__}: {exc}")


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
