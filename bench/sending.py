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

Click tracking is on (the newsletters' default): every link of each message
is a per-reader signed redirect (newsletter/tracking.py), in "ours" and in
the bytes the limit sends alike.

Last, the click redirect under gunicorn (production settings, page cache
on), beside the limit of this stack: a bare WSGI app answering the same
302 from memory (bench/static_app.py). wrk follows --click-tokens genuine
links of different readers in turn; server CPU per request is read from
/proc, as in `bench pages`.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from bench.pages import (
    HOP_HEADERS,
    PY,
    ROOT,
    Server,
    bench_options,
    free_port,
    measure,
    production_env,
    workdir_for,
)

TIMEOUT = 600
STEPS = "bench.in_django.sending_steps"


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


def step(env, *args) -> dict:
    """One step of bench/in_django/sending_steps.py: the JSON of its last line."""
    return json.loads(
        django(env, "-m", STEPS, *map(str, args)).strip().splitlines()[-1]
    )


BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)


def redirect_response(url: str, path: str) -> tuple[int, list[tuple[str, str]]]:
    """The real redirect's status and headers (not followed)."""
    where = urlsplit(url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    connection.request("GET", path, headers={"User-Agent": BROWSER})
    response = connection.getresponse()
    response.read()
    headers = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_HEADERS]
    connection.close()
    return response.status, headers


def run_clicks(args, workdir: Path, env: dict, edition_id: int) -> dict:
    """CPU per request of the click redirect and of the static limit."""
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is needed for the click benchmark: apt-get install wrk"}
    found = step(env, "_click_paths", edition_id, args.click_tokens)
    paths = found["paths"]
    # Production settings serve hashed static files: error pages need them.
    django(env, "manage.py", "collectstatic", "--noinput", "-v", "0")
    script = workdir / "clicks.lua"
    script.write_text(
        f'wrk.headers["User-Agent"] = "{BROWSER}"\n'
        "local paths = {\n" + "".join(f'  "{p}",\n' for p in paths) + "}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  return wrk.format(nil, paths[(n % #paths) + 1])\n"
        "end\n"
    )
    web_env = dict(env, PAGE_CACHE="1")
    real = Server("newsroom.wsgi:application", web_env, args.workers)
    results = {"links": found["links"], "tokens": len(paths)}
    try:
        status, headers = redirect_response(real.url, paths[0])
        body_file = workdir / "click.body"
        body_file.write_bytes(b"")
        body_file.with_suffix(".headers.json").write_text(json.dumps(headers))
        before = step(env, "_clicks_recorded", edition_id)["clicks"]
        static = Server(
            "bench.static_app:application",
            dict(
                web_env,
                BENCH_BODY_FILE=str(body_file),
                BENCH_STATUS=f"{status} {HTTPStatus(status).phrase}",
            ),
            args.workers,
        )
        try:
            rounds = {"static": [], "click": []}
            for _ in range(args.click_rounds):
                rounds["static"].append(
                    measure(static, "click", "static", paths[0], args.click_seconds, 4)
                )
                rounds["click"].append(
                    measure(
                        real, "click", "click", paths[0], args.click_seconds, 4, script
                    )
                )
        finally:
            static.stop()
    finally:
        real.stop()
    after = step(env, "_clicks_recorded", edition_id)["clicks"]
    results.update(
        status=status,
        static=min(rounds["static"], key=lambda r: r.cpu_ms),
        click=min(rounds["click"], key=lambda r: r.cpu_ms),
        requests=sum(r.requests for r in rounds["click"]),
        recorded=after - before,
    )
    return results


def run_worker(env) -> tuple[float, int, float]:
    """The task worker in batch mode until the queue is empty:
    (seconds, peak RSS KB, CPU seconds)."""
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
    return (
        time.perf_counter() - started,
        usage.ru_maxrss,
        usage.ru_utime + usage.ru_stime,
    )


def run(args) -> dict:
    workdir = workdir_for(args, "newsroom-send-bench-")
    sink = Sink(workdir)
    env = bench_env(workdir, sink.port)
    env["BENCH_CLICK_TRACKING"] = "0" if args.no_click_tracking else "1"

    def send(edition: int) -> dict:
        before = sink.settle()
        django(env, "-m", STEPS, "_start", str(edition))
        wall, rss, cpu = run_worker(env)
        after = sink.settle()
        outcome = step(env, "_result", edition)
        outcome.update(
            wall=wall,
            rss_kb=rss,
            cpu=cpu,
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
        editions = step(env, "_prepare", args.small, args.subscribers, args.rounds)
        limits, ours = [], []
        # Interleaved rounds: a busy machine slows both paths alike.
        for round_ in range(args.rounds):
            before = sink.settle()
            limit = step(env, "_limit", editions["big"][round_], args.subscribers)
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
    links = step(env, "_click_paths", editions["big"][0], 1)["links"]
    clicks = (
        run_clicks(args, workdir, env, editions["big"][0])
        if args.click_seconds and not args.no_click_tracking
        else {}
    )
    return {
        "limits": limits,
        "ours": ours,
        "small": small,
        "links": links,
        "clicks": clicks,
        "args": vars(args),
    }


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
    out(
        f"click tracking on: {data['links']} links per message, each a signed "
        "per-reader redirect"
        if data["links"]
        else "click tracking off (--no-click-tracking)"
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
    best_cpu = min(r["cpu"] / r["sent"] for r in data["ours"]) * 1e6
    limit_cpu = min(r["cpu_us"] for r in data["limits"])
    out(
        f"CPU per message (best round): limit {limit_cpu:.0f} us (smtplib only), "
        f"ours {best_cpu:.0f} us (whole worker, start-up included)"
    )
    timings = limit["personalise_us"]
    out(
        f"building one reader's message, CPU: {timings['tracked']:.1f} us with "
        f"{data['links']} tracked links, {timings['untracked']:.1f} us untracked "
        f"(+{timings['tracked'] - timings['untracked']:.1f} us per message)"
    )
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
    report_clicks(data["clicks"])


def report_clicks(clicks: dict) -> None:
    if not clicks:
        return
    out()
    if "skipped" in clicks:
        out(f"click redirect: not measured ({clicks['skipped']})")
        return
    static, click = clicks["static"], clicks["click"]
    out(
        f"Click redirect under gunicorn (page cache on), {clicks['tokens']:,} "
        f"readers' tokens over {clicks['links']} links in turn; best of the rounds"
    )
    header = f"{'path':46} {'req/s':>8} {'p50 ms':>7} {'cpu/req ms':>10} {'x limit':>8}"
    out(header)
    out("-" * len(header))
    for label, r in (
        ("limit: the same 302 from memory (bare WSGI)", static),
        ("ours: verify, record the click, 302", click),
    ):
        out(
            f"{label:46} {r.rps:8.0f} {r.p50_ms:7.2f} {r.cpu_ms:10.3f} "
            f"{r.cpu_ms / static.cpu_ms:8.2f}"
        )
    out(
        f"answered {clicks['status']}; clicks recorded: {clicks['recorded']:,} of "
        f"{clicks['requests']:,} requests measured (warm-ups record too); "
        f"errors: {click.errors}"
    )


def main(argv=None) -> None:
    parser = bench_options(__doc__, briefs=6, rounds=2, prog="python -m bench sending")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument(
        "--small",
        type=int,
        default=1_000,
        help="the audience the memory is compared with",
    )
    parser.add_argument(
        "--click-seconds",
        type=float,
        default=4,
        help="wrk run per round of the click redirect bench; 0 skips it",
    )
    parser.add_argument("--click-rounds", type=int, default=3)
    parser.add_argument(
        "--no-click-tracking",
        action="store_true",
        help="send with click tracking off (to compare); skips the click bench",
    )
    parser.add_argument("--click-tokens", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args(argv)
    report(run(args))


if __name__ == "__main__":
    main()
