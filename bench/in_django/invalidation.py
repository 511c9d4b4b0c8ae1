"""The news day of `python -m bench invalidation`, inside Django (see
bench/invalidation.py): run by it with the bench's environment as

    python -m bench.in_django.invalidation BRIEFS SECONDS
"""

import random
import sys
import time

from django.core.handlers.wsgi import WSGIHandler
from django.test import override_settings
from django.utils import timezone

from articles.models import Article, Category, Topic
from bench.invalidation import READERS_PER_SECOND, environ, reader_paths
from newsroom.pagecache import PageCache


def simulate(mode: str, paths: list[str], seed: int, seconds: int) -> dict:
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


def main(briefs: int, seconds: int) -> None:
    slugs = [
        f"bench-brief-{n}" for n in range(briefs)
    ]  # newest first: rank 0 is the most read
    categories = list(Category.objects.values_list("slug", flat=True))
    topics = list(Topic.objects.values_list("slug", flat=True))
    paths = reader_paths(
        random.Random(7),
        READERS_PER_SECOND * seconds,
        slugs,
        categories,
        topics,
    )
    hot = ["/", f"/briefs/{slugs[0]}/", f"/category/{categories[0]}/", "/feed/"]
    rows = []
    for mode in ("global", "keys"):
        row = simulate(mode, paths, 11, seconds)
        row["hot_hit_us"] = hit_cost(mode, hot, 2000)
        rows.append(row)
    print(  # noqa: T201
        f"news day, {seconds} s simulated at {READERS_PER_SECOND} req/s, "
        f"{briefs} briefs; a public change every 10 s, a draft save every 2 s"
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
    main(int(sys.argv[1]), int(sys.argv[2]))
