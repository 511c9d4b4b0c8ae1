"""The addresses surrogate keys stand for, for caches that purge only by URL.

Exact for a brief's own page, its lists' first pages, feeds, archives and
sitemaps. Later pages of a list, related boxes and search results are not
listed: they refresh by s-maxage (set PAGE_CACHE_SHARED_SECONDS short with
URL purging). A rename or anything site-wide stands for every page (None).
"""

from __future__ import annotations

import re

from django.urls import reverse

from newsroom import surrogate
from newsroom.links import absolute_url

_LIST = re.compile(r"list-(category|topic|author)-(\d+)$")
_DATE = re.compile(r"list-(year|month|day)-(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_EVERYTHING = re.compile(r"^(site|nav|labels|(category|topic|author)-\d+)$")


def urls_for(keys) -> set[str] | None:
    """Absolute URLs of the pages `keys` name, or None for every page."""
    paths: set[str] = set()
    for key in keys:
        if _EVERYTHING.match(key):
            return None
        paths |= _paths(key)
    return {absolute_url(path) for path in paths}


def _paths(key: str) -> set[str]:
    from articles.invalidation import footprint
    from articles.models import Article, Author, Category, Topic
    from articles.sitemaps import SITEMAPS

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
            paths |= _paths(list_key)
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
