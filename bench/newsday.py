"""A news day under gunicorn, beside the static limit of the same pages.

`python -m bench newsday`: readers (wrk, one Lua script) ask for briefs with
a Zipf-like popularity (s=1.1 over 3,000 briefs), the home page, category
and topic pages and feeds, accepting gzip, while an editor process
(bench/editor.py) publishes or edits a public brief every 10 s and saves a
draft every 2 s. The same request mix, for the same time, goes to a bare
WSGI app answering each page's response (gzip body) from memory: the limit.

The site runs as deployed (deploy/README.md): its Django cache is a Redis
the bench starts when redis-server is installed (else a per-process locmem,
said in the report), so the web processes share rendered pages. The day
starts with the caches as warm as readers keep them: each distinct page is
asked once (--prewarm, on by default, for the limit too), then the mix runs
--warmup seconds before the measured --seconds.

Stale answers are counted by a checker beside wrk: after each public change
has committed, the editor writes what the changed page must now show; the
checker keeps asking for it, and an answer without it (asked after the
record was written) is stale.
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import random
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.invalidation import reader_paths
from bench.pages import (
    CLK_TCK,
    PY,
    ROOT,
    Result,
    Server,
    cpu_ticks,
    fetch,
    free_port,
    prepare,
    production_env,
    workdir_for,
    wrk,
)

MIX_SIZE = 20_000


def paths_mix(rng: random.Random, briefs: int, categories, topics) -> list[str]:
    """The same reader mix as the in-process simulation, over bench.in_django.data's slugs."""
    slugs = [f"bench-brief-{rank}" for rank in range(briefs)]
    return reader_paths(rng, MIX_SIZE, slugs, categories, topics)


def lua_script(paths: list[str], target: Path) -> Path:
    table = ",".join(json.dumps(p) for p in paths)
    target.write_text(
        f"local paths = {{{table}}}\n"
        "local n = 0\n"
        'wrk.headers["Accept-Encoding"] = "gzip"\n'
        "request = function()\n"
        "  n = n % #paths + 1\n"
        "  return wrk.format(nil, paths[n])\n"
        "end\n"
    )
    return target


class Checker(threading.Thread):
    """Asks for what the editor last changed; counts answers without it."""

    def __init__(self, url: str, record: Path):
        super().__init__(daemon=True)
        self.url, self.record = url, record
        self.checks = self.stale = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.05):
            try:
                must = json.loads(self.record.read_text())
            except (OSError, ValueError):
                continue
            for path, (text, number) in must.items():
                with urllib.request.urlopen(self.url + path, timeout=10) as answer:
                    body = answer.read().decode()
                self.checks += 1
                seen = [int(n) for n in re.findall(re.escape(text) + r"(\d+)", body)]
                if not seen or max(seen) < number:
                    self.stale += 1


def prewarm(server: Server, paths: list[str], connections: int) -> None:
    """Ask for every distinct page once, as readers had before the day."""

    def ask(path):
        request = urllib.request.Request(
            server.url + path, headers={"Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()

    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(ask, dict.fromkeys(paths)))


class Redis:
    """A throwaway redis-server on a free port, as the deployed cache."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def measure_mix(server: Server, mode: str, script: Path, paths, args) -> Result:
    # The day starts with the caches as warm as readers keep them.
    if args.prewarm:
        prewarm(server, paths, args.connections)
    wrk(server.url + "/", args.warmup, args.connections, script)
    before = cpu_ticks(server.proc.pid)
    requests, rps, p50, p99, errors = wrk(
        server.url + "/", args.seconds, args.connections, script
    )
    used = cpu_ticks(server.proc.pid) - before
    cpu_ms = used / CLK_TCK * 1000 / max(requests, 1)
    return Result("news day", mode, requests, rps, p50, p99, cpu_ms, errors)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench newsday")
    parser.add_argument("--briefs", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=15, help="seconds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workdir")
    parser.add_argument(
        "--prewarm",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="ask for each distinct page once before the warm-up",
    )
    parser.add_argument(
        "--redis",
        action=argparse.BooleanOptionalAction,
        default=shutil.which("redis-server") is not None,
        help="the site's cache is a redis-server the bench starts (as deployed)",
    )
    args = parser.parse_args(argv)

    workdir = workdir_for(args, "newsroom-newsday-")
    prepare(workdir, args.briefs)
    redis = Redis(workdir) if args.redis else None
    cache_url = redis.url if redis else "locmem://bench"
    env = production_env(
        workdir, PAGE_CACHE="1", TASKS_BACKEND="immediate", CACHE_URL=cache_url
    )
    site = Server("newsroom.wsgi:application", env, args.workers)
    try:
        categories = [f"bench-{i}" for i in range(8)]
        topics = [f"bench-topic-{i}" for i in range(60)]
        paths = paths_mix(random.Random(7), args.briefs, categories, topics)
        script = lua_script(paths, workdir / "newsday.lua")
        # The limit answers the same pages: their responses, taken from the site.
        pages = {}
        for path in dict.fromkeys(paths):
            body, headers = fetch(site.url + path)
            headers = [(k, v) for k, v in headers if k.lower() != "x-page-cache"]
            pages[path] = (headers, body, gzip.compress(body, 6, mtime=0))
        pages_file = workdir / "pages.pickle"
        pages_file.write_bytes(pickle.dumps(pages))
        static = Server(
            "bench.static_pages:application",
            production_env(workdir, BENCH_PAGES_FILE=str(pages_file)),
            args.workers,
        )
        try:
            limit = measure_mix(static, "static", script, paths, args)
        finally:
            static.stop()

        record = workdir / "editor.json"
        editor = subprocess.Popen(
            [
                PY,
                "-m",
                "bench.in_django.editor",
                str(args.warmup + args.seconds + 2),
                str(record),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        checker = Checker(site.url, record)
        checker.start()
        try:
            day = measure_mix(site, "newsroom", script, paths, args)
        finally:
            checker.stop.set()
            checker.join(15)
            out, _ = editor.communicate(timeout=60)
    finally:
        site.stop()
        if redis:
            redis.stop()

    edits = json.loads(out.strip().splitlines()[-1])
    print(  # noqa: T201
        f"news day: {args.seconds:g} s each, {len(set(paths))} distinct pages, "
        f"{args.workers} gunicorn workers, {args.connections} connections, gzip; "
        f"cache {'redis (shared)' if redis else 'locmem (per process)'}, "
        f"{'each page asked once, then ' if args.prewarm else ''}"
        f"{args.warmup:g} s warm-up"
    )
    header = (
        f"{'mode':9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'cpu/req ms':>10} "
        f"{'rps ratio':>9} {'p99 ratio':>9} {'errors':>6}"
    )
    print(header)  # noqa: T201
    print("-" * len(header))  # noqa: T201
    for row in (limit, day):
        print(  # noqa: T201
            f"{row.mode:9} {row.rps:8.0f} {row.p50_ms:7.2f} {row.p99_ms:7.2f} "
            f"{row.cpu_ms:10.3f} {row.rps / limit.rps:9.2f} "
            f"{row.p99_ms / limit.p99_ms:9.2f} {row.errors:6d}"
        )
    print(  # noqa: T201
        f"editor: {edits['public_changes']} public changes, "
        f"{edits['draft_saves']} draft saves; stale answers: {checker.stale} "
        f"of {checker.checks} checks"
    )


if __name__ == "__main__":
    main()
