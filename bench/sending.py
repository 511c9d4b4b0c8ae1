"""Newsletter sending benchmark: our path beside the limit, one loopback sink.

    python -m bench sending [--subscribers 10000] [--small 1000]

Everything runs on 127.0.0.1 against one aiosmtpd sink process
(tests/smtp_sink.py), on a throwaway SQLite database:

  limit    raw smtplib: one connection, `sendmail` of the same pre-built
           bytes (one personalised copy of the edition) N times. Nothing can
           send faster through Python's SMTP client to this sink.
  ours     the real path: `tasks.start()` snapshots the audience into the
           delivery ledger and queues tasks; `manage.py worker --batch`
           runs them (claim a batch, re-check each subscription, personalise,
           sendmail, mark sent, queue the next batch) until the edition is
           sent. Rate is measured from the first to the last delivery's
           sent_at, and also over the worker's whole life (with start-up).

Then the worker's peak RSS (ru_maxrss from wait4) sending to --small and to
--subscribers readers: memory must stay flat when the audience grows tenfold.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.pages import PY, ROOT, bench_options, free_port, production_env

TIMEOUT = 600


def out(text: str = "") -> None:
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


def bench_env(workdir: Path, port: int) -> dict:
    return production_env(
        workdir,
        SITE_URL="https://news.example.org",
        DATABASE_URL=f"sqlite:///{workdir / 'sending.sqlite3'}",
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
        BULK_EMAIL_URL=f"smtp://127.0.0.1:{port}",
        TASKS_BACKEND="db",
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        NEWSLETTER_RATE_LIMIT_PER_SECOND="0",
    )


class Sink:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.stats_file = workdir / "sink.json"
        self.process = subprocess.Popen(
            [
                PY,
                "-m",
                "tests.smtp_sink",
                "--port",
                str(self.port),
                "--stats",
                str(self.stats_file),
            ],
            cwd=ROOT,
        )
        deadline = time.monotonic() + 30
        while not self.stats_file.exists():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit("the SMTP sink did not start")
            time.sleep(0.05)

    def stats(self) -> dict:
        return json.loads(self.stats_file.read_text())

    def settle(self) -> dict:
        """Counters once they stop moving (the last message is counted)."""
        last = None
        while True:
            time.sleep(0.3)
            now = self.stats()
            if now == last:
                return now
            last = now

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def django(env, *args, timeout=TIMEOUT) -> str:
    return subprocess.check_output(
        [PY, *args],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
    )


def run_worker(env) -> tuple[float, int]:
    """The task worker in batch mode until the queue is empty: (seconds, peak RSS KB)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            PY,
            "manage.py",
            "worker",
            "--batch",
            "--queue-name",
            "*",
            "--interval",
            "0",
            "--no-startup-delay",
            "--no-reload",
            "--verbosity",
            "0",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + TIMEOUT
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            process.kill()
            raise SystemExit("the worker did not finish in time")
        time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"the worker exited with {process.returncode}")
    return time.perf_counter() - started, usage.ru_maxrss


def run(args) -> dict:
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="newsroom-send-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    sink = Sink(workdir)
    env = bench_env(workdir, sink.port)
    me = ["-m", "bench.in_django.sending_steps"]

    def send(edition: int) -> dict:
        before = sink.settle()
        django(env, *me, "_start", str(edition))
        wall, rss = run_worker(env)
        after = sink.settle()
        outcome = json.loads(
            django(env, *me, "_result", str(edition)).strip().splitlines()[-1]
        )
        outcome.update(
            wall=wall,
            rss_kb=rss,
            received=after["messages"] - before["messages"],
            connections=after["connections"] - before["connections"],
        )
        outcome["rate"] = (
            (outcome["sent"] - 1) / outcome["span"] if outcome["span"] else 0
        )
        return outcome

    try:
        out(f"preparing {args.small:,} + {args.subscribers:,} subscribers in {workdir}")
        django(env, "manage.py", "migrate", "--noinput")
        editions = json.loads(
            django(
                env,
                *me,
                "_prepare",
                str(args.small),
                str(args.subscribers),
                str(args.rounds),
            )
            .strip()
            .splitlines()[-1]
        )
        limits, ours = [], []
        # Interleaved rounds: a busy machine slows both paths alike.
        for round_ in range(args.rounds):
            before = sink.settle()
            limit = json.loads(
                django(
                    env,
                    *me,
                    "_limit",
                    str(editions["big"][round_]),
                    str(args.subscribers),
                )
                .strip()
                .splitlines()[-1]
            )
            limit["received"] = sink.settle()["messages"] - before["messages"]
            limit["rate"] = args.subscribers / limit["seconds"]
            limits.append(limit)
            ours.append(send(editions["big"][round_]))
            out(
                f"round {round_ + 1}: limit {limit['rate']:.0f} msg/s, "
                f"ours {ours[-1]['rate']:.0f} msg/s"
            )
        small = send(editions["small"][0])
    finally:
        sink.stop()
    return {"limits": limits, "ours": ours, "small": small, "args": vars(args)}


def report(data: dict) -> None:
    n = data["args"]["subscribers"]
    limit = max(data["limits"], key=lambda r: r["rate"])
    ours = max(data["ours"], key=lambda r: r["rate"])
    small = data["small"]
    wall_rate = ours["sent"] / ours["wall"]
    out()
    out(
        f"Newsletter sending: {n:,} subscribers, {limit['bytes'] / 1024:.1f} KB multipart "
        f"message, one aiosmtpd sink on 127.0.0.1; best of {len(data['limits'])} "
        "interleaved rounds"
    )
    header = f"{'path':58} {'messages':>9} {'seconds':>8} {'msg/s':>7} {'ratio':>6}"
    out(header)
    out("-" * len(header))
    out(
        f"{'limit: raw smtplib sendmail of pre-built bytes, 1 connection':58} "
        f"{limit['received']:9,} {limit['seconds']:8.2f} {limit['rate']:7.0f} {1:6.2f}"
    )
    out(
        f"{'ours: worker, ledger + tasks (first to last sent_at)':58} "
        f"{ours['received']:9,} {ours['span']:8.2f} {ours['rate']:7.0f} "
        f"{ours['rate'] / limit['rate']:6.2f}"
    )
    out(
        f"{'ours: the same, whole worker life incl. start-up':58} "
        f"{ours['received']:9,} {ours['wall']:8.2f} {wall_rate:7.0f} "
        f"{wall_rate / limit['rate']:6.2f}"
    )
    ratios = [
        b["rate"] / a["rate"] for a, b in zip(data["limits"], data["ours"], strict=True)
    ]
    out(
        "per round, limit / ours msg/s (ratio): "
        + ", ".join(
            f"{a['rate']:.0f} / {b['rate']:.0f} ({r:.2f})"
            for a, b, r in zip(data["limits"], data["ours"], ratios, strict=True)
        )
    )
    out(f"median of the per-round ratios: {statistics.median(ratios):.2f}")
    out()
    for size, r in (
        (data["args"]["small"], small),
        (n, max(data["ours"], key=lambda r: r["rss_kb"])),
    ):
        out(
            f"{size:>7,} subscribers: edition {r['status']}, {r['sent']:,} sent, "
            f"{r['failed']} failed, {r['received']:,} received by the sink over "
            f"{r['connections']} SMTP connections; worker peak RSS {r['rss_kb'] / 1024:.1f} MB"
        )
    big_rss = max(r["rss_kb"] for r in data["ours"])
    out(
        f"worker peak memory x{big_rss / small['rss_kb']:.2f} for x{n / data['args']['small']:.0f} subscribers"
    )
    exact = all(r["received"] == r["sent"] == n for r in data["ours"]) and (
        small["received"] == small["sent"] == data["args"]["small"]
    )
    out(f"exactly one message per subscriber in every run: {'yes' if exact else 'NO'}")


def main(argv=None) -> None:
    parser = bench_options(__doc__, briefs=6, prog="python -m bench sending")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument(
        "--small",
        type=int,
        default=1_000,
        help="the audience the memory is compared with",
    )
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    report(run(args))


if __name__ == "__main__":
    main()
