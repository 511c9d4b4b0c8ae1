"""An SMTP sink on 127.0.0.1 for the reliability tests, run as its own process.

    python -m tests.reliability.smtp_sink --port 2525 --log sink.log [--faults f.json]

aiosmtpd, like tests/newsletter/smtp.py, but in a process of its own: the
workers under test send thousands of messages and the test process only
polls. Every event is one tab-separated line appended to the log and flushed
at once, so the test can read it while the sink runs:

    <unix time> RCPT <address> <reply code>
    <unix time> MSG  <address> <Message-ID>      (one per accepted recipient)
    <unix time> DROP <address> -                 (connection dropped at DATA)
    <unix time> DATA <address> <reply code>      (message refused at DATA)

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
import re
import signal
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


class FaultyHandler:
    def __init__(self, log_path: Path, faults: dict):
        self.log = log_path.open("a", buffering=1, encoding="utf-8")
        self.lock = threading.Lock()
        self.rcpt = {a: list(r) for a, r in faults.get("rcpt", {}).items()}
        self.rcpt_always = faults.get("rcpt_always", {})
        self.data_always = faults.get("data_always", {})
        self.drop_once = set(faults.get("drop_once", []))
        self.refuse_all = faults.get("refuse_all")

    def refusing(self, stage: str) -> str | None:
        """The blanket refusal for this stage while the relay is "down"."""
        refuse = self.refuse_all
        if refuse and refuse.get("at", "rcpt") == stage:
            if Path(refuse["while_exists"]).exists():
                return refuse["reply"]
        return None

    def write(self, kind: str, address: str, value) -> None:
        with self.lock:
            self.log.write(f"{time.time():.6f}\t{kind}\t{address}\t{value}\n")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refusing("rcpt") or self.rcpt_always.get(address)
        if reply is None and self.rcpt.get(address):
            reply = self.rcpt[address].pop(0)
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
            if address in self.drop_once:
                self.drop_once.discard(address)
                self.write("DROP", address, "-")
                server.transport.close()
                return "421 4.4.2 Connection dropped"
            reply = self.data_always.get(address)
            if reply:
                return reply
        found = MESSAGE_ID.search(envelope.original_content or b"")
        message_id = found.group(1).decode("ascii", "replace") if found else "-"
        for address in envelope.rcpt_tos:
            self.write("MSG", address, message_id)
        return "250 2.0.0 Accepted"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--faults", type=Path)
    args = parser.parse_args()
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    faults = json.loads(args.faults.read_text()) if args.faults else {}
    controller = Controller(
        FaultyHandler(args.log, faults), hostname="127.0.0.1", port=args.port
    )
    controller.start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(0.2):
            pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
