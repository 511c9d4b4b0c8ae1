"""A loopback SMTP sink for the benchmarks: accepts and counts, keeps nothing.

    python -m bench.smtp_sink --port 2525 --stats /tmp/sink.json

aiosmtpd, like the test suite's server. Every 0.1 s it writes its counters
({"messages", "bytes", "connections"}) to the stats file, so the benchmark
can read them between runs without stopping it.
"""

import argparse
import asyncio
import json
import os
import signal
from pathlib import Path

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self):
        self.messages = 0
        self.bytes = 0
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        self.bytes += len(envelope.original_content or b"")
        return "250 2.0.0 Accepted"


def write_stats(path: Path, counter: Counter) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {
                "messages": counter.messages,
                "bytes": counter.bytes,
                "connections": counter.connections,
            }
        )
    )
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stats", type=Path, required=True)
    args = parser.parse_args()
    counter = Counter()
    controller = Controller(
        counter, hostname="127.0.0.1", port=args.port, data_size_limit=10_000_000
    )
    controller.start()
    stop = asyncio.Event()

    async def report():
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        while not stop.is_set():
            write_stats(args.stats, counter)
            try:
                await asyncio.wait_for(stop.wait(), 0.1)
            except TimeoutError:
                pass
        write_stats(args.stats, counter)

    try:
        asyncio.run(report())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
