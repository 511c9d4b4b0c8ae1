"""The one SMTP sink: a real SMTP server on 127.0.0.1 (aiosmtpd).

In the test process, ``with SMTPSink() as sink:`` records every message
(``sink.messages``, ``sink.to(address)``) and can misbehave on purpose for
chosen recipients, so the sender's retry and failure paths meet a real
server: ``sink.rcpt_replies[address] = "550 5.1.1 …"`` refuses at RCPT,
``sink.data_replies[address]`` refuses the message at DATA, and an address
in ``sink.drop`` has its connection dropped mid-DATA once.

In a process of its own, for the reliability tests (workers send thousands
of messages and the test only polls) and the sending benchmark:

    python -m tests.smtp_sink --port 2525 [--log events.log] [--faults f.json]
                              [--stats stats.json]

It keeps no messages then. With ``--log`` every event is one tab-separated
line appended and flushed at once, so the caller can read it while the
sink runs:

    <unix time> RCPT <address> <reply code>
    <unix time> MSG  <address> <Message-ID>      (one per accepted recipient)
    <unix time> DROP <address> -                 (connection dropped at DATA)
    <unix time> DATA <address> <reply code>      (message refused at DATA)

With ``--stats`` it writes its counters ({"messages", "bytes",
"connections"}; a message is one accepted DATA) to the file every 0.1 s.

Faults (a JSON file) make chosen recipients fail on purpose:

    {"rcpt": {"a@x": ["451 4.7.1 Busy", "451 4.7.1 Busy"]},  # then accepted
     "rcpt_always": {"b@x": "550 5.1.1 No such user"},
     "data_always": {"c@x": "554 5.7.1 Rejected"},
     "drop_once": ["d@x"],
     "refuse_all": {"reply": "550 5.7.1 Relaying denied", "while_exists": "/tmp/f"}}

"refuse_all" is a relay refusing every recipient at RCPT (or, with
"at": "data", every message at DATA) for reasons of its own, for as long as
the named file exists: the test removes it when the relay "recovers".
"""

import argparse
import json
import logging
import os
import re
import signal
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list
    raw: bytes  # exactly the bytes the client sent after DATA


class SinkHandler:
    def __init__(
        self, *, faults: dict | None = None, log_path: Path | None = None, keep=True
    ):
        faults = faults or {}
        self.lock = threading.Lock()
        self.keep = keep
        self.messages: list[Received] = []
        self.rcpt_replies: dict[str, str] = dict(faults.get("rcpt_always", {}))
        # address -> replies given once each, in order, before it is accepted
        self.rcpt_queue = {a: list(r) for a, r in faults.get("rcpt", {}).items()}
        self.data_replies: dict[str, str] = dict(faults.get("data_always", {}))
        self.drop: set[str] = set(faults.get("drop_once", []))
        self.refuse_all = faults.get("refuse_all")
        self.connections = 0
        self.accepted = 0
        self.bytes = 0
        self.log = (
            log_path.open("a", buffering=1, encoding="utf-8") if log_path else None
        )

    def refusing(self, stage: str) -> str | None:
        """The blanket refusal for this stage while the relay is "down"."""
        refuse = self.refuse_all
        if refuse and refuse.get("at", "rcpt") == stage:
            if Path(refuse["while_exists"]).exists():
                return refuse["reply"]
        return None

    def write(self, kind: str, address: str, value) -> None:
        if self.log is None:
            return
        with self.lock:
            self.log.write(f"{time.time():.6f}\t{kind}\t{address}\t{value}\n")

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refusing("rcpt") or self.rcpt_replies.get(address)
        if reply is None and self.rcpt_queue.get(address):
            reply = self.rcpt_queue[address].pop(0)
        reply = reply or "250 OK"
        self.write("RCPT", address, reply[:3])
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server, session, envelope):
        refused = self.refusing("data")
        if refused:
            for address in envelope.rcpt_tos:
                self.write("DATA", address, refused[:3])
            return refused
        for address in envelope.rcpt_tos:
            if address in self.drop:
                self.drop.discard(address)  # once: the retry gets through
                self.write("DROP", address, "-")
                server.transport.close()
                return "421 4.4.2 Connection dropped"
            reply = self.data_replies.get(address)
            if reply:
                return reply
        content = envelope.original_content or b""
        with self.lock:
            self.accepted += 1
            self.bytes += len(content)
            if self.keep:
                self.messages.append(
                    Received(envelope.mail_from, list(envelope.rcpt_tos), content)
                )
        if self.log is not None:
            found = MESSAGE_ID.search(content)
            message_id = found.group(1).decode("ascii", "replace") if found else "-"
            for address in envelope.rcpt_tos:
                self.write("MSG", address, message_id)
        return "250 2.0.0 Accepted"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def write_stats(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        with self.lock:
            stats = {
                "messages": self.accepted,
                "bytes": self.bytes,
                "connections": self.connections,
            }
        tmp.write_text(json.dumps(stats))
        os.replace(tmp, path)  # the reader never sees half a file


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path)
    parser.add_argument("--faults", type=Path)
    parser.add_argument("--stats", type=Path)
    args = parser.parse_args()
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    faults = json.loads(args.faults.read_text()) if args.faults else {}
    handler = SinkHandler(faults=faults, log_path=args.log, keep=False)
    controller = Controller(handler, hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while True:
            if args.stats:
                handler.write_stats(args.stats)
            if stop.wait(0.1):
                break
        if args.stats:
            handler.write_stats(args.stats)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
