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

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
TIMEOUT = 600


def out(text: str = "") -> None:
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(workdir: Path, port: int) -> dict:
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY="bench-" + "k" * 60,
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="https://news.example.org",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        DATABASE_URL=f"sqlite:///{workdir / 'sending.sqlite3'}",
        PAGE_CACHE_VERSION_FILE=str(workdir / "content-version"),
        CACHE_URL="locmem://bench",
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
        BULK_EMAIL_URL=f"smtp://127.0.0.1:{port}",
        TASKS_BACKEND="db",
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        NEWSLETTER_RATE_LIMIT_PER_SECOND="0",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


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
    done = subprocess.run(
        [PY, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done.stdout


# Steps run inside Django, in a child process (python -m bench.sending _step …).


def _setup():
    import django as dj

    dj.setup()


def step_prepare(small: int, big: int, rounds: int, briefs: int) -> None:
    """Briefs, a newsletter of `small` and one of `big` readers, and editions:
    one for the small list, one per round for the big one. Each edition has
    the five latest briefs with their first three sections, a usual daily."""
    _setup()
    from django.utils import timezone

    from articles.models import Article
    from bench.data import build
    from newsletter.models import (
        Edition,
        EditionItem,
        Newsletter,
        Subscriber,
        Subscription,
    )

    build(briefs)
    latest = list(Article.objects.published().order_by("-published_at")[:5])
    now = timezone.now()
    editions = {}
    start = 0
    for label, size, count in (("small", small, 1), ("big", big, rounds)):
        newsletter = Newsletter.objects.create(
            name=f"Bench {label}",
            slug=f"bench-{label}",
            track_clicks=os.environ.get("BENCH_CLICK_TRACKING", "1") == "1",
        )
        people = Subscriber.objects.bulk_create(
            (Subscriber(email=f"reader{start + i}@example.com") for i in range(size)),
            batch_size=2000,
        )
        start += size
        Subscription.objects.bulk_create(
            (
                Subscription(
                    subscriber=p,
                    newsletter=newsletter,
                    status="confirmed",
                    confirmed_at=now,
                )
                for p in people
            ),
            batch_size=2000,
        )
        editions[label] = []
        for _ in range(count):
            edition = Edition.objects.create(
                newsletter=newsletter,
                subject="Ports reopen, rates hold, and three more briefs",
                preheader="The day's essential briefs.",
                intro="<p>Good morning. Five briefs, five minutes.</p>",
            )
            for position, article in enumerate(latest):
                item = EditionItem.objects.create(
                    edition=edition,
                    article=article,
                    position=position,
                    all_sections=False,
                )
                item.sections.set(article.sections.order_by("position")[:3])
            editions[label].append(edition.pk)
    out(json.dumps(editions))


def step_limit(edition_id: int, count: int) -> None:
    """Pre-built bytes over one smtplib connection, `count` times."""
    _setup()
    import smtplib

    from django.conf import settings

    from newsletter import mime, starting
    from newsletter.models import Edition

    edition = Edition.objects.select_related("newsletter").get(pk=edition_id)
    starting.freeze(edition)
    prepared = mime.PreparedEdition.for_edition(edition)
    to_addr, raw = prepared.personalise(
        delivery_id=1, subscriber_id=1, address="reader0@example.com"
    )
    options = settings.MAILERS["bulk"]["OPTIONS"]
    smtp = smtplib.SMTP(options["host"], options["port"], timeout=20)
    smtp.ehlo()
    started = time.perf_counter()
    cpu = time.process_time()
    for _ in range(count):
        smtp.sendmail(prepared.envelope_from, [to_addr], raw)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    smtp.quit()
    out(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_us": cpu / count * 1e6,
                "bytes": len(raw),
                "personalise_us": personalise_cpu(edition, prepared),
            }
        )
    )


def personalise_cpu(edition, tracked) -> dict:
    """CPU per reader of building their message, with the edition's links
    tracked and with the same edition untracked: the cost tracking adds to
    each message, measured in CPU time (a busy machine slows wall-clock
    rates, not this much)."""
    from newsletter import compose, mime
    from newsletter.mime import placeholder_links

    subject, text, html = compose.render(edition.snapshot, placeholder_links())
    untracked = mime.PreparedEdition(edition, subject=subject, text=text, html=html)
    timings = {}
    for label, prepared in (("tracked", tracked), ("untracked", untracked)):
        best = None
        for _ in range(3):
            cpu = time.process_time()
            for reader in range(1, 5001):
                prepared.personalise(
                    delivery_id=reader, subscriber_id=reader, address="r@example.com"
                )
            spent = (time.process_time() - cpu) / 5000 * 1e6
            best = spent if best is None else min(best, spent)
        timings[label] = best
    return timings


def step_start(edition_id: int) -> None:
    _setup()
    from newsletter import tasks

    tasks.start(edition_id)


def step_result(edition_id: int) -> None:
    _setup()
    from django.db.models import Max, Min

    from newsletter.models import Delivery, Edition

    edition = Edition.objects.get(pk=edition_id)
    span = Delivery.objects.filter(edition=edition, status="sent").aggregate(
        first=Min("sent_at"), last=Max("sent_at")
    )
    out(
        json.dumps(
            {
                "status": edition.status,
                "sent": edition.sent_count,
                "failed": edition.failed_count,
                "recipients": edition.recipients_count,
                "span": (span["last"] - span["first"]).total_seconds()
                if span["first"]
                else 0,
            }
        )
    )


def step_click_paths(edition_id: int, count: int) -> None:
    """Genuine click paths of `count` readers of the edition, links in turn."""
    _setup()
    from django.urls import reverse

    from newsletter import tracking
    from newsletter.models import Delivery, TrackedLink

    links = list(
        TrackedLink.objects.filter(edition_id=edition_id).values_list(
            "position", flat=True
        )
    )
    readers = Delivery.objects.filter(edition_id=edition_id).values_list(
        "subscriber_id", flat=True
    )[:count]
    paths = [
        reverse(
            "newsletter_click",
            kwargs={
                "token": tracking.click_token(edition_id, links[i % len(links)], reader)
            },
        )
        for i, reader in enumerate(readers)
        if links
    ]
    out(json.dumps({"paths": paths, "links": len(links)}))


def step_clicks_recorded(edition_id: int) -> None:
    _setup()
    from newsletter.models import Click

    out(json.dumps({"clicks": Click.objects.filter(edition_id=edition_id).count()}))


BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)


def redirect_response(url: str, path: str) -> tuple[int, list[tuple[str, str]]]:
    """The real redirect's status and headers (not followed)."""
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    connection.request("GET", path, headers={"User-Agent": BROWSER})
    response = connection.getresponse()
    response.read()
    skip = {"date", "server", "connection", "content-length", "transfer-encoding"}
    headers = [(k, v) for k, v in response.getheaders() if k.lower() not in skip]
    connection.close()
    return response.status, headers


def run_clicks(args, workdir: Path, env: dict, edition_id: int) -> dict:
    """CPU per request of the click redirect and of the static limit."""
    from bench.pages import Server, measure

    if shutil.which("wrk") is None:
        return {"skipped": "wrk is needed for the click benchmark: apt-get install wrk"}
    me = ["-m", "bench.sending"]
    found = json.loads(
        django(env, *me, "_click_paths", str(edition_id), str(args.click_tokens))
        .strip()
        .splitlines()[-1]
    )
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
        before = json.loads(
            django(env, *me, "_clicks_recorded", str(edition_id))
            .strip()
            .splitlines()[-1]
        )["clicks"]
        static = Server(
            "bench.static_app:application",
            dict(web_env, BENCH_BODY_FILE=str(body_file)),
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
    after = json.loads(
        django(env, *me, "_clicks_recorded", str(edition_id)).strip().splitlines()[-1]
    )["clicks"]
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
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="newsroom-send-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    sink = Sink(workdir)
    env = bench_env(workdir, sink.port)
    env["BENCH_CLICK_TRACKING"] = "0" if args.no_click_tracking else "1"
    me = ["-m", "bench.sending"]

    def send(edition: int) -> dict:
        before = sink.settle()
        django(env, *me, "_start", str(edition))
        wall, rss, cpu = run_worker(env)
        after = sink.settle()
        outcome = json.loads(
            django(env, *me, "_result", str(edition)).strip().splitlines()[-1]
        )
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
    links = json.loads(
        django(env, *me, "_click_paths", str(editions["big"][0]), "1")
        .strip()
        .splitlines()[-1]
    )["links"]
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
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0].startswith("_"):
        steps = {
            "_prepare": step_prepare_cli,
            "_limit": step_limit_cli,
            "_start": step_start_cli,
            "_result": step_result_cli,
            "_click_paths": lambda a: step_click_paths(int(a[0]), int(a[1])),
            "_clicks_recorded": lambda a: step_clicks_recorded(int(a[0])),
        }
        return steps[argv[0]](argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m bench sending",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument(
        "--small",
        type=int,
        default=1_000,
        help="the audience the memory is compared with",
    )
    parser.add_argument("--briefs", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workdir", help="where the throwaway database goes")
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


def step_prepare_cli(argv):
    step_prepare(int(argv[0]), int(argv[1]), int(argv[2]), briefs=6)


def step_limit_cli(argv):
    step_limit(int(argv[0]), int(argv[1]))


def step_start_cli(argv):
    step_start(int(argv[0]))


def step_result_cli(argv):
    step_result(int(argv[0]))


if __name__ == "__main__":
    main()
