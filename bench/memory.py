"""Memory benchmark: does a web worker stay flat when the archive grows tenfold?

For each archive size (default 3,000 and 30,000 briefs) one gunicorn worker
(production settings, page cache on) serves the same walk: every page of the
home listing up to --pages, then --articles distinct article pages (more than
a --cache-mb small enough holds, to exercise its bound), then a topic,
category and author page and the feed. The worker's peak resident memory (VmHWM) is read
from /proc after the walk. The sending benchmark reports the same for
subscribers (bench/sending.py).
"""

from __future__ import annotations

import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.pages import Server, bench_options, prepare, production_env


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def walk(url: str, articles: int, pages: int) -> int:
    paths = [f"/?page={n}" if n > 1 else "/" for n in range(1, pages + 1)]
    paths += [f"/briefs/bench-brief-{n}/" for n in range(1, articles + 1)]
    paths += [
        "/topic/bench-topic-1/",
        "/category/bench-1/",
        "/author/bench-author-1/",
        "/feed/",
    ]
    errors = 0
    for path in paths:
        try:
            with urllib.request.urlopen(url + path, timeout=30) as response:
                response.read()
        except (urllib.error.URLError, OSError):
            errors += 1
    return errors


def measure(briefs: int, workdir: Path, articles: int, pages: int, cache_mb: int):
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    prepare(workdir, briefs)
    built = time.monotonic() - started
    env = production_env(
        workdir, PAGE_CACHE="1", PAGE_CACHE_MAX_BYTES=str(cache_mb * 1_000_000)
    )
    server = Server("newsroom.wsgi:application", env, workers=1)
    try:
        errors = walk(server.url, min(articles, briefs), pages)
        workers = _children(server.proc.pid)
        peak = max((peak_rss_mb(pid) for pid in workers), default=0.0)
    finally:
        server.stop()
    return peak, errors, built


def main(argv=None) -> None:
    parser = bench_options(__doc__, briefs=3000)
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--articles", type=int, default=2500)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument(
        "--cache-mb",
        type=int,
        default=32,
        help="PAGE_CACHE_MAX_BYTES in MB (the production default)",
    )
    args = parser.parse_args(argv)
    base = Path(args.workdir or tempfile.mkdtemp(prefix="newsroom-bench-memory-"))
    rows = []
    for briefs in (args.briefs, args.briefs * args.factor):
        peak, errors, built = measure(
            briefs,
            base / f"briefs-{briefs}",
            args.articles,
            args.pages,
            args.cache_mb,
        )
        rows.append((briefs, peak, errors))
        print(  # noqa: T201
            f"{briefs:>7} briefs: worker peak RSS {peak:6.1f} MB after "
            f"{min(args.articles, briefs)} article pages and {args.pages} home "
            f"pages ({errors} errors; data built in {built:.0f} s)",
            flush=True,
        )
    (small, small_peak, _), (large, large_peak, _) = rows
    print(  # noqa: T201
        f"memory ratio: ×{large_peak / small_peak:.2f} for ×{large // small} briefs"
    )
    if any(errors for _, _, errors in rows):
        sys.exit("some requests failed")


if __name__ == "__main__":
    main()
