"""What an SMTP failure means: the reader's address, or our relay's trouble.

Replies as real servers send them (Postfix, Exchange Online, Gmail, Yahoo),
wrapped in the exceptions smtplib raises at each stage of `sendmail`. Only a
reply whose RFC 3463 enhanced status code says the mailbox is gone may take a
reader off the list; a relay refusing us (relaying denied, a blocklist, a
quota, authentication, a policy) must never.
"""

import smtplib

import pytest

from newsletter import transport

TO = "reader@example.com"


def rcpt(code, text):
    return smtplib.SMTPRecipientsRefused({TO: (code, text.encode())})


def data(code, text):
    return smtplib.SMTPDataError(code, text.encode())


def mail_from(code, text):
    return smtplib.SMTPSenderRefused(code, text.encode(), "news@example.org")


# (what the server did, the kind expected)
#   bounce     the mailbox is gone: the delivery fails, the reader is unsubscribed
#   permanent  this reader's mailbox refused it: the delivery fails, nobody unsubscribed
#   temporary  this reader's mailbox, for now: retried later
#   relay      the relay's, the sender's or a policy's problem: retried, counted
#              by the breaker, never the reader's
#   connection the connection broke: retried on a new one
REPLIES = [
    (rcpt(550, "5.1.1 <reader@example.com>: Recipient address rejected: User unknown"), "bounce"),
    (rcpt(550, "5.1.1 The email account that you tried to reach does not exist."), "bounce"),
    (rcpt(550, "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"), "bounce"),
    (rcpt(553, "5.1.3 The recipient address is not a valid RFC 5321 address."), "bounce"),
    (rcpt(550, "5.2.1 The email account that you tried to reach is disabled."), "bounce"),
    (data(550, "5.1.1 No such user (reader@example.com)"), "bounce"),
    (rcpt(552, "5.2.2 The email account that you tried to reach is over quota."), "permanent"),
    (rcpt(452, "4.2.2 The email account that you tried to reach is over quota."), "temporary"),
    (rcpt(450, "4.1.1 <reader@example.com>: Recipient address rejected: unverified address"), "temporary"),
    (rcpt(550, "5.7.1 <reader@example.com>: Relay access denied"), "relay"),
    (rcpt(554, "5.7.1 Service unavailable; Client host [203.0.113.7] blocked using zen.spamhaus.org"), "relay"),
    (rcpt(550, "5.7.1 [203.0.113.7] Our system has detected an unusual rate of\n5.7.1 unsolicited mail originating from your IP address."), "relay"),
    (rcpt(550, "5.4.1 Recipient address rejected: Access denied. AS(201806281)"), "relay"),
    (rcpt(550, "5.7.26 Unauthenticated email from example.org is not accepted due to domain's DMARC policy."), "relay"),
    (rcpt(554, "5.7.0 Daily sending quota exceeded"), "relay"),
    (rcpt(550, "No such user here"), "relay"),
    (rcpt(554, "Transaction failed"), "relay"),
    (rcpt(451, "4.7.1 Greylisted, please try again later"), "relay"),
    (rcpt(450, "4.1.8 <news@example.org>: Sender address rejected: Domain not found"), "relay"),
    (rcpt(550, "5.1.0 <news@example.org>: Sender address rejected: User unknown in local recipient table"), "relay"),
    (rcpt(553, "5.1.8 <news@example.org>: Sender address rejected: Domain not found"), "relay"),
    (rcpt(421, "4.7.0 Too many concurrent connections, closing"), "connection"),
    (data(554, "5.7.1 Message rejected as spam by Content Filtering."), "relay"),
    (data(554, "5.3.4 Message too big for system"), "relay"),
    (data(552, "5.2.3 Message size exceeds fixed maximum message size"), "relay"),
    (data(554, "Message rejected"), "relay"),
    (data(451, "4.3.0 Temporary local problem, please try again"), "relay"),
    (data(421, "4.4.2 Connection dropped"), "connection"),
    (mail_from(553, "5.7.1 <news@example.org>: Sender address rejected: not owned by user"), "relay"),
    (mail_from(550, "5.1.1 <news@example.org>: Sender address rejected: User unknown"), "relay"),
    (mail_from(530, "5.7.0 Authentication required"), "relay"),
    (smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid"), "relay"),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), "connection"),
    (ConnectionRefusedError(111, "Connection refused"), "connection"),
    (TimeoutError("timed out"), "connection"),
    (ValueError("Header values may not contain linefeed or carriage return characters"), "permanent"),
]  # fmt: skip


def label(exc) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = exc.recipients[TO]
        return f"RCPT {code} {text.decode()[:50]}"
    if isinstance(exc, smtplib.SMTPResponseException):
        stage = {smtplib.SMTPDataError: "DATA", smtplib.SMTPSenderRefused: "MAIL"}
        stage = stage.get(type(exc), type(exc).__name__)
        return f"{stage} {exc.smtp_code} {exc.smtp_error.decode()[:50]}"
    return f"{type(exc).__name__} {exc}"[:60]


@pytest.mark.parametrize(
    ("exc", "expected"), REPLIES, ids=[label(e) for e, _ in REPLIES]
)
def test_each_reply_is_put_down_to_the_reader_or_to_the_relay(exc, expected):
    kind, *_ = transport.classify(exc)
    assert kind == expected
