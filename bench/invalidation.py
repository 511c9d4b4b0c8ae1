"""Per-key or global invalidation for the page cache: hit rate and hit cost.

`python -m bench invalidation` simulates a news day in one process, in
front of the real Django (production settings, 3,000 briefs on SQLite):
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
import os
import random
import tempfile
import time
from io import BytesIO
from pathlib import Path

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


def simulate(mode: str, paths: list[str], seed: int, seconds: int) -> dict:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings
    from django.utils import timezone

    from articles.models import Article
    from newsroom.pagecache import PageCache

    rng = random.Random(seed)
    public = list(
        Article.objects.published()
        .order_by("-published_at")
        .values_list("pk", flat=True)[:200]
    )
    draft = Article.objects.create(
        headline="A draft in the works", slug=f"draft-{mode}", status="draft"
    )
    hits = misses = 0
    hit_cpu = 0.0
    per_public = READERS_PER_SECOND * 10
    per_draft = READERS_PER_SECOND * 2

    def start_response(status, headers, exc_info=None):
        start_response.hit = ("X-Page-Cache", "hit") in headers

    with override_settings(PAGE_CACHE_ENABLED=True, PAGE_CACHE_INVALIDATION=mode):
        app = PageCache(WSGIHandler())
        for path in set(paths):  # warm: the day starts with a full cache
            b"".join(app(environ(path), start_response))
        for n, path in enumerate(paths[: READERS_PER_SECOND * seconds], 1):
            if n % per_public == 0:
                if (n // per_public) % 2:
                    # A new brief goes out.
                    Article.objects.create(
                        headline=f"Breaking {mode} {n}",
                        slug=f"breaking-{mode}-{n}",
                        status="published",
                        published_at=timezone.now(),
                    )
                else:
                    article = Article.objects.get(pk=rng.choice(public[:50]))
                    article.headline += "!"
                    article.save()
            elif n % per_draft == 0:
                draft.headline += "."
                draft.save()
            begin = time.process_time()
            b"".join(app(environ(path), start_response))
            spent = time.process_time() - begin
            if start_response.hit:
                hits += 1
                hit_cpu += spent
            else:
                misses += 1
    return {
        "mode": mode,
        "requests": hits + misses,
        "hit_rate": hits / (hits + misses),
        "hit_us": 1e6 * hit_cpu / max(hits, 1),
        "misses": misses,
    }


def hit_cost(mode: str, paths: list[str], repeat: int) -> float:
    """CPU µs of one hit, repeated on warm pages with no change in between."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    from newsroom.pagecache import PageCache

    def start_response(status, headers, exc_info=None):
        pass

    with override_settings(PAGE_CACHE_ENABLED=True, PAGE_CACHE_INVALIDATION=mode):
        app = PageCache(WSGIHandler())
        for path in paths:
            b"".join(app(environ(path), start_response))
        begin = time.process_time()
        for _ in range(repeat):
            for path in paths:
                b"".join(app(environ(path), start_response))
        return 1e6 * (time.process_time() - begin) / (repeat * len(paths))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench invalidation")
    parser.add_argument("--briefs", type=int, default=3000)
    parser.add_argument("--seconds", type=int, default=60, help="simulated time")
    args = parser.parse_args(argv)
    from bench.pages import prepare, production_env

    workdir = Path(tempfile.mkdtemp(prefix="bench-invalidation-"))
    prepare(workdir, args.briefs)
    os.environ.update(production_env(workdir, TASKS_BACKEND="immediate"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from articles.models import Category, Topic

    slugs = [
        f"bench-brief-{n}" for n in range(args.briefs)
    ]  # newest first: rank 0 is the most read
    categories = list(Category.objects.values_list("slug", flat=True))
    topics = list(Topic.objects.values_list("slug", flat=True))
    paths = reader_paths(
        random.Random(7),
        READERS_PER_SECOND * args.seconds,
        slugs,
        categories,
        topics,
    )
    hot = ["/", f"/briefs/{slugs[0]}/", f"/category/{categories[0]}/", "/feed/"]
    rows = []
    for mode in ("global", "keys"):
        row = simulate(mode, paths, 11, args.seconds)
        row["hot_hit_us"] = hit_cost(mode, hot, 2000)
        rows.append(row)
    print(  # noqa: T201
        f"news day, {args.seconds} s simulated at {READERS_PER_SECOND} req/s, "
        f"{args.briefs} briefs; a public change every 10 s, a draft save every 2 s"
    )
    print(  # noqa: T201
        f"{'mode':8} {'requests':>9} {'hit rate':>9} {'misses':>7} "
        f"{'hit CPU µs (day)':>17} {'hit CPU µs (hot pages)':>23}"
    )
    for row in rows:
        print(  # noqa: T201
            f"{row['mode']:8} {row['requests']:9d} {row['hit_rate']:9.1%} "
            f"{row['misses']:7d} {row['hit_us']:17.1f} {row['hot_hit_us']:23.1f}"
        )


if __name__ == "__main__":
    main()
