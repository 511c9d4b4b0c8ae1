"""Flood benchmark: do long-URL requests slow down everyone else's pages?

The server is gunicorn exactly as shipped (`-c python:newsroom.gunicorn_conf`:
its worker count, its timeouts, its logging through newsroom.logging), with
production settings (DEBUG=0, page cache on) on a throwaway SQLite database
built by bench/in_django/data.py; its log goes to a file, as in production.

A probe (wrk, 1 connection) reads a normal page (an article) for --seconds:
  quiet   with nothing else running;
  4kb     while 2 attacking connections (a second wrk) request paths of
          about 4 KB ("/" + "aA1" x 1300): they reach Django, which answers
          404 and logs "Not Found: <path>";
  64kb    while they request 64 KB paths: gunicorn refuses a request line
          over limit_request_line (4094 bytes) itself;
  short   (a control) while they request a short path that is not found:
          what any flood of cheap requests from 2 connections costs here.
For each phase: the probe's mean, p50 and p99 latency, the ratio of its p50
to the quiet one, the attack's completed requests per second and what the
server logged for them, the server's CPU seconds and the bytes of log
written. The attacker and the probe share the machine's cores with the
server. Figures, not a test: on a shared machine, run it twice.

With --nginx the server is as deployed on one machine: Debian's nginx with
deploy/nginx/ (rewritten to local ports and folders, as
tests/reliability/test_nginx.py runs it; TLS with a self-signed certificate)
in front of the same gunicorn. The attack comes from 127.0.0.1 and the probe
is a reader at another address (127.0.0.2) asking for the page ten times a
second, so nginx's per-address limit meets the attacker and not the reader.
"""

from __future__ import annotations

import http.client
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.pages import (
    CLK_TCK,
    PY,
    ROOT,
    bench_options,
    free_port,
    prepared,
    production_env,
)

ATTACKS = {"4kb": 1300, "64kb": 64 * 1024 // 3, "short": 3}  # "aA1" repeated
PHASES = ("quiet", "4kb", "64kb", "short")


@dataclass
class Phase:
    name: str
    mean_ms: float
    p50_ms: float
    p99_ms: float
    probe_requests: int
    attack_rps: float
    attack_answers: str
    cpu_s: float
    log_bytes: int


class ShippedServer:
    """gunicorn with newsroom/gunicorn_conf.py, stderr into a log file."""

    def __init__(self, env: dict, log_path: Path):
        self.port = free_port()
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.log_path = log_path
        self.log = open(log_path, "w")  # closed in stop()
        self.proc = subprocess.Popen(
            [
                PY,
                "-m",
                "gunicorn",
                "-c",
                "python:newsroom.gunicorn_conf",
                # Several servers on one machine would share gunicorn's
                # control socket; it plays no part in serving.
                "--no-control-socket",
                "newsroom.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/", timeout=5).read()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(
                        f"gunicorn did not start; see {log_path}"
                    ) from None
                time.sleep(0.2)

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def server_cpu_ticks(pid: int) -> int:
    """CPU of the gunicorn master, its live workers, and the workers it has
    already replaced (max_requests recycles them; their time is then in the
    master's cutime/cstime)."""
    ticks = 0
    pids = [pid]
    try:
        pids += [
            int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime (and for the master, cutime, cstime of reaped workers)
        ticks += sum(int(f) for f in fields[11 : 15 if p == pid else 13])
    return ticks


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def probe(url: str, seconds: float) -> tuple[int, float, float, float]:
    """wrk, 1 connection: (requests, mean ms, p50 ms, p99 ms)."""
    out = subprocess.run(
        ["wrk", "-t1", "-c1", f"-d{seconds:g}s", "--timeout", "60s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 90,
    ).stdout
    mean = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", out)
    p50 = re.search(r"^\s*50%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return requests, _ms(*mean.groups()), _ms(*p50.groups()), _ms(*p99.groups())


class Front:
    """Debian's nginx with the shipped site in front of `server`."""

    def __init__(self, server: ShippedServer, workdir: Path):
        # The nginx tests own the rewriting of deploy/nginx to local ports
        # and folders; the bench runs exactly what those tests check.
        from tests.reliability.nginx_site import (
            HOST,
            configure,
            nginx_binary,
            self_signed_certificate,
        )

        nginx = nginx_binary()
        if nginx is None:
            sys.exit("--nginx needs Debian's nginx: apt-get install nginx")
        tmp = workdir / "nginx"
        tmp.mkdir(exist_ok=True)
        self_signed_certificate(tmp)
        self.host = HOST
        self.port = free_port()
        conf = configure(tmp, http=free_port(), https=self.port, upstream=server.port)
        globals_ = (
            f"daemon off; pid {tmp}/nginx.pid; error_log {tmp}/log/error.log warn;"
        )
        self.proc = subprocess.Popen(
            [nginx, "-c", str(conf), "-p", str(tmp), "-g", globals_]
        )
        self.url = f"https://127.0.0.1:{self.port}"
        self.tls = ssl.create_default_context(cafile=tmp / "cert.pem")
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"nginx did not start; see {tmp}/log") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def paced_probe(front: Front, page: str, seconds: float, per_second: float = 10):
    """A reader at 127.0.0.2 reading `page` through nginx `per_second` times a
    second on one keep-alive connection: (requests, mean, p50, p99 ms)."""

    def connect():
        conn = http.client.HTTPConnection(front.host, timeout=60)
        raw = socket.create_connection(
            ("127.0.0.1", front.port), timeout=60, source_address=("127.0.0.2", 0)
        )
        conn.sock = front.tls.wrap_socket(raw, server_hostname=front.host)
        return conn

    conn, latencies, refused = connect(), [], 0
    start = time.monotonic()
    while (now := time.monotonic()) < start + seconds:
        began = time.perf_counter()
        conn.request("GET", page, headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        response.read()
        latencies.append((time.perf_counter() - began) * 1000)
        refused += response.status != 200
        if response.will_close:
            conn.close()
            conn = connect()
        time.sleep(max(0.0, now + 1 / per_second - time.monotonic()))
    conn.close()
    if refused:
        print(f"  probe: {refused} answers were not 200")  # noqa: T201
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies), statistics.fmean(latencies), cuts[49], cuts[98]


def attack_script(workdir: Path, name: str) -> Path:
    script = workdir / f"attack-{name}.lua"
    script.write_text(
        f'local path = "/" .. string.rep("aA1", {ATTACKS[name]})\n'
        "request = function()\n"
        '  return wrk.format("GET", path)\n'
        "end\n"
    )
    return script


def phase(
    server: ShippedServer, name: str, page: str, seconds: float, workdir, front=None
):
    attacker = None
    log_offset = server.log_size()
    if name != "quiet":
        target = ["-H", f"Host: {front.host}", front.url] if front else [server.url]
        attacker = subprocess.Popen(
            [
                "wrk",
                "-t1",
                "-c2",
                f"-d{seconds + 3:g}s",
                "--timeout",
                "60s",
                "-s",
                str(attack_script(workdir, name)),
                *target,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(1.5)  # let the attack take hold before measuring
    pids = [server.proc.pid] + ([front.proc.pid] if front else [])
    cpu_before = sum(server_cpu_ticks(pid) for pid in pids)
    if front:
        requests, mean, p50, p99 = paced_probe(front, page, seconds)
    else:
        requests, mean, p50, p99 = probe(server.url + page, seconds)
    cpu_s = (sum(server_cpu_ticks(pid) for pid in pids) - cpu_before) / CLK_TCK
    attack_rps, answers = 0.0, "-"
    if attacker is not None:
        out, _ = attacker.communicate(timeout=seconds + 120)
        if m := re.search(r"Requests/sec:\s+([\d.]+)", out):
            attack_rps = float(m.group(1))
        logged = server.log_since(log_offset)
        answers = (
            f"{logged.count('Not Found: /')} logged 404s, "
            f"{logged.count('Invalid request from')} logged refusals"
        )
        if front and (m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)):
            answers += f", {m.group(1)} non-2xx answers (nginx's 429s among them)"
    return Phase(
        name,
        mean,
        p50,
        p99,
        requests,
        attack_rps,
        answers,
        cpu_s,
        server.log_size() - log_offset,
    )


def run(args) -> list[Phase]:
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed for the flood benchmark: apt-get install wrk")
    workdir = prepared(args, "newsroom-flood-")
    env = production_env(workdir, LOG_LEVEL="INFO")
    for name in ("WEB_CONCURRENCY", "ACCESS_LOG", "GUNICORN_CMD_ARGS"):
        env.pop(name, None)
    if args.access_log is not None:
        env["ACCESS_LOG"] = args.access_log
    if args.workers is not None:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.nginx:
        # As deploy/env.example has it behind nginx on one machine.
        env.update(
            ALLOWED_HOSTS="news.example.com",
            SITE_URL="https://news.example.com",
            BEHIND_HTTPS_PROXY="1",
            TRUSTED_PROXIES="127.0.0.1",
        )
    server = ShippedServer(env, workdir / "server.log")
    front = None
    phases = []
    try:
        if args.nginx:
            front = Front(server, workdir)
            paced_probe(front, args.page, 2)  # warm-up: imports, page cache
        else:
            probe(server.url + args.page, 2)  # warm-up: imports, page cache
        for _ in range(args.rounds):
            for name in args.phases.split(","):
                phases.append(
                    phase(server, name, args.page, args.seconds, workdir, front)
                )
    finally:
        if front:
            front.stop()
        server.stop()
    print(f"server log: {server.log_path}", flush=True)  # noqa: T201
    return phases


def report(phases: list[Phase], args) -> None:
    header = (
        f"{'phase':6} {'mean ms':>8} {'p50 ms':>8} {'p99 ms':>8} {'x quiet':>7} "
        f"{'probe n':>8} {'attack/s':>9} {'cpu s':>6} {'log KB':>8}  attack answers"
    )
    print(header)  # noqa: T201
    print("-" * len(header))  # noqa: T201
    quiet = None
    for p in phases:
        if p.name == "quiet":
            quiet = p
        ratio = p.p50_ms / quiet.p50_ms if quiet else float("nan")
        print(  # noqa: T201
            f"{p.name:6} {p.mean_ms:8.2f} {p.p50_ms:8.2f} {p.p99_ms:8.2f} "
            f"{ratio:7.2f} {p.probe_requests:8d} {p.attack_rps:9.1f} "
            f"{p.cpu_s:6.1f} {p.log_bytes / 1024:8.0f}  {p.attack_answers}"
        )
    print(  # noqa: T201
        f"\nprobe: {args.page}, 1 connection"
        + (" from another address through nginx, 10 a second" if args.nginx else "")
        + f", {args.seconds:g} s per phase; "
        "attack: 2 connections.\nx quiet = the probe's p50 in this phase / "
        "its p50 in the round's quiet phase."
    )


def main(argv=None) -> None:
    parser = bench_options(__doc__, briefs=300, seconds=30, rounds=1)
    parser.add_argument("--page", default="/briefs/bench-brief-1/")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated, from {', '.join(PHASES)} (quiet first)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="WEB_CONCURRENCY for the server (default: the shipped default)",
    )
    parser.add_argument(
        "--access-log",
        choices=["0", "1"],
        help="ACCESS_LOG for the server (default: the shipped default)",
    )
    parser.add_argument(
        "--nginx",
        action="store_true",
        help="put Debian's nginx with deploy/nginx/ in front, as deployed",
    )
    args = parser.parse_args(argv)
    report(run(args), args)


if __name__ == "__main__":
    main()
