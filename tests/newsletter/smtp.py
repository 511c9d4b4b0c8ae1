"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records every message.

It can also misbehave on purpose for chosen recipients: refuse them with a
4xx or 5xx reply at RCPT, refuse the message at DATA, or drop the connection
mid-DATA, so the sender's retry and failure paths meet a real server.
"""

import socket
import threading
from dataclasses import dataclass

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list
    raw: bytes  # exactly the bytes the client sent after DATA


class SinkHandler:
    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[Received] = []
        self.rcpt_replies: dict[str, str] = {}  # address -> "550 5.1.1 …"
        self.data_replies: dict[str, str] = {}  # address -> "451 4.3.0 …"
        self.drop: set[str] = set()  # addresses whose DATA drops the connection
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            if address in self.drop:
                self.drop.discard(address)  # once: the retry gets through
                server.transport.close()
                return "421 4.4.2 Connection dropped"
            reply = self.data_replies.get(address)
            if reply:
                return reply
        with self.lock:
            self.messages.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    envelope.original_content,
                )
            )
        return "250 2.0.0 Accepted"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPSink:
    def __init__(self):
        self.handler = SinkHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def mailer(self) -> dict:
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 10},
        }

    # Shortcuts to the handler.
    def __getattr__(self, name):
        return getattr(self.handler, name)


class SMTPTestMixin:
    """For TestCase classes: a fresh sink per test, both mailers pointed at it."""

    def setUp(self):
        super().setUp()
        self.sink = SMTPSink().__enter__()
        self.addCleanup(self.sink.__exit__, None, None, None)
        override = self.settings(
            MAILERS={"default": self.sink.mailer(), "bulk": self.sink.mailer()}
        )
        override.enable()
        self.addCleanup(override.disable)
