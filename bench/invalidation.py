"""Per-key or global invalidation for the page cache: hit rate and hit cost.

`python -m bench invalidation` simulates a news day in one process
(bench/in_django/invalidation.py), in front of the real Django (production settings, 3,000 briefs on SQLite):
readers ask for briefs with a Zipf-like popularity, the home page, category
and topic pages and feeds, at READERS_PER_SECOND of simulated time, while an
editor publishes or edits a public brief every 10 s and saves a draft every
2 s. The same request sequence runs twice, the page cache telling stale
pages by their surrogate keys ("keys") or by any public change ("global"),
and each reports its hit rate and the CPU of one hit (the page cache's own
work: looking up the state and the entry, checking its keys, replaying it).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

from bench.pages import PY, ROOT, prepare, production_env

READERS_PER_SECOND = 200


def environ(path: str) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT_ENCODING": "gzip, br",
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(),
        "wsgi.errors": BytesIO(),
    }


def reader_paths(rng: random.Random, n: int, slugs, categories, topics) -> list:
    """`n` reader requests: 75 % briefs (Zipf, s=1.1), the rest lists and feeds."""
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(slugs))]
    briefs = rng.choices(slugs, weights=weights, k=n)
    paths = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.75:
            paths.append(f"/briefs/{briefs[i]}/")
        elif roll < 0.85:
            paths.append("/")
        elif roll < 0.91:
            paths.append(f"/category/{rng.choice(categories)}/")
        elif roll < 0.96:
            paths.append(f"/topic/{rng.choice(topics)}/")
        else:
            paths.append(rng.choice(["/feed/", "/feed/atom/"]))
    return paths


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench invalidation")
    parser.add_argument("--briefs", type=int, default=3000)
    parser.add_argument("--seconds", type=int, default=60, help="simulated time")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-invalidation-"))
    prepare(workdir, args.briefs)
    subprocess.run(
        [PY, "-m", "bench.in_django.invalidation", str(args.briefs), str(args.seconds)],
        cwd=ROOT,
        env=production_env(workdir, TASKS_BACKEND="immediate"),
        check=True,
    )


if __name__ == "__main__":
    main()
