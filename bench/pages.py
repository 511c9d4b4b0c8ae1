"""Page benchmark: the article and home pages under gunicorn, beside the limit.

One run, interleaved, on 127.0.0.1 only:
  static  the page's exact response (its headers and body, as a full render
          returns them) from memory by a bare WSGI app under the same
          gunicorn settings: the physical limit of this stack;
  cold    Newsroom with its page cache off: a full render on every request;
  warm    Newsroom with its page cache on, after a warm-up.
The article page is measured on one brief and again on every brief in turn
("briefs", cold only): there nothing a process remembers between requests
(formatted dates, related briefs, URLs) is reused for the same brief.
Load comes from wrk in a second process; server CPU per request is read from
/proc for the gunicorn master and workers (the stabler figure on a shared box).
Production settings (DEBUG off) on a throwaway SQLite database of thousands of
briefs built by bench/in_django/data.py.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    page: str
    mode: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_options(
    doc: str, *, briefs: int, seconds=None, rounds=None, **parser
) -> argparse.ArgumentParser:
    """A bench's command line: its docstring as the help, the size of the data
    set it builds (bench/in_django/data.py) and where that data goes; with
    `seconds` and `rounds`, how long each measurement runs and how many times
    (the defaults, for the benches that have them)."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter, **parser
    )
    parser.add_argument("--briefs", type=int, default=briefs)
    parser.add_argument(
        "--workdir", help="where the throwaway data goes (reuse it between runs)"
    )
    if seconds is not None:
        parser.add_argument("--seconds", type=float, default=seconds)
    if rounds is not None:
        parser.add_argument("--rounds", type=int, default=rounds)
    return parser


def production_env(workdir: Path, **extra) -> dict:
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY="bench-" + "k" * 60,
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="http://127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        PAGE_CACHE_VERSION_FILE=str(workdir / "content-version"),
        CACHE_URL="locmem://bench",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def prepare(workdir: Path, briefs: int) -> None:
    env = production_env(workdir)
    run = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([PY, "manage.py", "migrate", "--noinput"], **run)
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput"], **run)
    subprocess.run([PY, "-m", "bench.in_django.data", "--briefs", str(briefs)], **run)


def workdir_for(args, prefix: str) -> Path:
    """Where a bench's throwaway data goes: --workdir, or a new folder."""
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix=prefix))
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir


def prepared(args, prefix: str) -> Path:
    """workdir_for(), with --briefs briefs built in it (and said so)."""
    workdir = workdir_for(args, prefix)
    print(f"data: {args.briefs} briefs in {workdir}", flush=True)  # noqa: T201
    prepare(workdir, args.briefs)
    return workdir


def cpu_ticks(pid: int) -> int:
    """utime+stime of a process and its children (gunicorn workers)."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


class Server:
    def __init__(self, app: str, env: dict, workers: int):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                PY,
                "-m",
                "gunicorn",
                app,
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--no-control-socket",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            # Any answer will do, a 404 or a redirect (not followed: the
            # static limit of a redirect points off this machine).
            ping = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                ping.request("GET", "/__bench_ping__")
                ping.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
            finally:
                ping.close()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wrk(
    url: str, seconds: float, connections: int, script: Path | None = None
) -> tuple[int, float, float, float, int]:
    options = ["-s", str(script)] if script else []
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
        + options
        + [url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout

    def latency(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        errors += sum(int(x) for x in m.groups())
    return requests, rps, latency("50"), latency("99"), errors


def measure(
    server: Server,
    page: str,
    mode: str,
    path: str,
    seconds: float,
    connections: int,
    script: Path | None = None,
) -> Result:
    # Warm-up: imports, caches, connections.
    wrk(server.url + path, 1, connections, script)
    before = cpu_ticks(server.proc.pid)
    requests, rps, p50, p99, errors = wrk(
        server.url + path, seconds, connections, script
    )
    used = cpu_ticks(server.proc.pid) - before
    cpu_ms = used / CLK_TCK * 1000 / max(requests, 1)
    return Result(page, mode, requests, rps, p50, p99, cpu_ms, errors)


# Headers a server adds per connection or per moment, not part of the page.
HOP_HEADERS = {"date", "server", "connection", "content-length", "transfer-encoding"}


def fetch(url: str) -> tuple[bytes, list[tuple[str, str]]]:
    with urllib.request.urlopen(url, timeout=10) as response:
        headers = [
            (name, value)
            for name, value in response.getheaders()
            if name.lower() not in HOP_HEADERS
        ]
        return response.read(), headers


def run(args) -> list[Result]:
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed for the page benchmark: apt-get install wrk")
    workdir = prepared(args, "newsroom-bench-")

    warm = Server(
        "newsroom.wsgi:application",
        production_env(workdir, PAGE_CACHE="1"),
        args.workers,
    )
    cold = Server(
        "newsroom.wsgi:application",
        production_env(workdir, PAGE_CACHE="0"),
        args.workers,
    )
    # Every brief in turn, from wrk's one thread (one counter for all
    # connections); bench.in_django.data names them bench-brief-0 to -(N-1).
    rotation = workdir / "every-brief.lua"
    rotation.write_text(
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        f'  return wrk.format(nil, "/briefs/bench-brief-" .. (n % {args.briefs}) .. "/")\n'
        "end\n"
    )
    pages = {
        "article": ("/briefs/bench-brief-1/", None, ("static", "cold", "warm")),
        "briefs": ("/briefs/bench-brief-1/", rotation, ("static", "cold")),
        "home": ("/", None, ("static", "cold", "warm")),
    }
    results = []
    try:
        for page, (path, script, modes) in pages.items():
            body, headers = fetch(cold.url + path)
            body_file = workdir / f"{page}.html"
            body_file.write_bytes(body)
            body_file.with_suffix(".headers.json").write_text(json.dumps(headers))
            static = Server(
                "bench.static_app:application",
                production_env(workdir, BENCH_BODY_FILE=str(body_file)),
                args.workers,
            )
            try:
                servers = {"static": static, "cold": cold, "warm": warm}
                for _ in range(args.rounds):
                    for mode in modes:
                        results.append(
                            measure(
                                servers[mode],
                                page,
                                mode,
                                path,
                                args.seconds,
                                args.connections,
                                # The static app answers every path the same.
                                script if mode != "static" else None,
                            )
                        )
            finally:
                static.stop()
    finally:
        warm.stop()
        cold.stop()
    return results


def report(results: list[Result]) -> None:
    def best(page, mode) -> Result:
        rows = [r for r in results if r.page == page and r.mode == mode]
        return min(rows, key=lambda r: r.cpu_ms)

    header = f"{'page':8} {'mode':7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'cpu/req ms':>10} {'cpu ratio':>9} {'rps ratio':>9} {'errors':>6}"
    print(header)  # noqa: T201
    print("-" * len(header))  # noqa: T201
    for page in dict.fromkeys(r.page for r in results):
        limit = best(page, "static")
        for mode in ("static", "cold", "warm"):
            if not any(r.page == page and r.mode == mode for r in results):
                continue
            r = best(page, mode)
            print(  # noqa: T201
                f"{page:8} {mode:7} {r.rps:8.0f} {r.p50_ms:7.2f} {r.p99_ms:7.2f} "
                f"{r.cpu_ms:10.3f} {limit.cpu_ms / r.cpu_ms:9.2f} {r.rps / limit.rps:9.2f} {r.errors:6d}"
            )
    print(  # noqa: T201
        "\ncpu ratio = static CPU per request / this mode's (1.00 = the limit); "
        "rps ratio = this mode's requests per second / static's. Best of the rounds."
        "\nbriefs = the article page for every brief in turn (cold only)."
    )


def main(argv=None) -> None:
    parser = bench_options(__doc__, briefs=3000, seconds=4, rounds=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args(argv)
    report(run(args))


if __name__ == "__main__":
    main()
