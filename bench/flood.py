"""Flood benchmark: do long-URL requests slow down everyone else's pages?

The server is gunicorn exactly as shipped (`-c python:newsroom.gunicorn_conf`:
its worker count, its timeouts, its logging through newsroom.logging), with
production settings (DEBUG=0, page cache on) on a throwaway SQLite database
built by bench/data.py; its log goes to a file, as in production.

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
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.pages import CLK_TCK, PY, ROOT, free_port, prepare, production_env

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


def attack_script(workdir: Path, name: str) -> Path:
    script = workdir / f"attack-{name}.lua"
    script.write_text(
        f'local path = "/" .. string.rep("aA1", {ATTACKS[name]})\n'
        "request = function()\n"
        '  return wrk.format("GET", path)\n'
        "end\n"
    )
    return script


def phase(server: ShippedServer, name: str, page: str, seconds: float, workdir):
    attacker = None
    log_offset = server.log_size()
    if name != "quiet":
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
                server.url,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(1.5)  # let the attack take hold before measuring
    cpu_before = server_cpu_ticks(server.proc.pid)
    requests, mean, p50, p99 = probe(server.url + page, seconds)
    cpu_s = (server_cpu_ticks(server.proc.pid) - cpu_before) / CLK_TCK
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
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="newsroom-flood-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"data: {args.briefs} briefs in {workdir}", flush=True)  # noqa: T201
    prepare(workdir, args.briefs)
    env = production_env(workdir, LOG_LEVEL="INFO")
    for name in ("WEB_CONCURRENCY", "ACCESS_LOG", "GUNICORN_CMD_ARGS"):
        env.pop(name, None)
    if args.access_log is not None:
        env["ACCESS_LOG"] = args.access_log
    if args.workers is not None:
        env["WEB_CONCURRENCY"] = str(args.workers)
    server = ShippedServer(env, workdir / "server.log")
    phases = []
    try:
        probe(server.url + args.page, 2)  # warm-up: imports, page cache
        for _ in range(args.rounds):
            for name in args.phases.split(","):
                phases.append(phase(server, name, args.page, args.seconds, workdir))
    finally:
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
        f"\nprobe: {args.page}, 1 connection, {args.seconds:g} s per phase; "
        "attack: 2 connections.\nx quiet = the probe's p50 in this phase / "
        "its p50 in the round's quiet phase."
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--briefs", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=1)
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
    parser.add_argument("--workdir", help="reuse a data directory between runs")
    args = parser.parse_args(argv)
    report(run(args), args)


if __name__ == "__main__":
    main()
