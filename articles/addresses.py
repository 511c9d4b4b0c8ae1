"""The addresses a surrogate key stands for, for caches that purge only by
URL (newsroom/purge/urls.py asks; articles/signals.py registers `paths_of`).

Exact for a brief's own page, its lists' first pages, feeds, archives and
sitemaps; newsroom/purge/urls.py says what is left to s-maxage.
"""

from __future__ import annotations

import re

from django.urls import reverse

from articles.invalidation import footprint
from articles.models import Article, Author, Category, Topic
from articles.sitemaps import SITEMAPS
from newsroom import surrogate

_LIST = re.compile(r"list-(category|topic|author)-(\d+)$")
_DATE = re.compile(r"list-(year|month|day)-(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def paths_of(key: str) -> set[str]:
    """The paths of the pages surrogate key `key` names (none if unknown)."""
    if key == surrogate.HOME:
        return {reverse("articles:home")}
    if key == surrogate.FEED:
        return {reverse("articles:feed"), reverse("articles:feed-atom")}
    if key == surrogate.ARCHIVE:
        return {reverse("articles:archive")}
    if key == surrogate.SITEMAP:
        return {
            reverse("articles:sitemap-index"),
            reverse("articles:sitemap-news"),
            *(reverse("articles:sitemap", args=[name]) for name in SITEMAPS),
        }
    if key.startswith("brief-"):
        pk = int(key.removeprefix("brief-"))
        slug = Article.objects.filter(pk=pk).values_list("slug", flat=True).first()
        paths = {reverse("articles:detail", args=[slug])} if slug else set()
        for list_key in footprint(pk).lists:
            paths |= paths_of(list_key)
        return paths
    if match := _LIST.match(key):
        kind, pk = match.group(1), int(match.group(2))
        model = {"category": Category, "topic": Topic, "author": Author}[kind]
        slug = model.objects.filter(pk=pk).values_list("slug", flat=True).first()
        if not slug:
            return set()
        return {
            reverse(f"articles:{kind}", args=[slug]),
            reverse(f"articles:{kind}-feed", args=[slug]),
            reverse(f"articles:{kind}-feed-atom", args=[slug]),
        }
    if match := _DATE.match(key):
        parts = [int(p) for p in match.groups()[1:] if p]
        name = {1: "archive-year", 2: "archive-month", 3: "archive-day"}[len(parts)]
        return {reverse(f"articles:{name}", args=parts)}
    return set()
