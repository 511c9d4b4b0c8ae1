"""Surrogate keys: what a public page shows, named so a change can find it.

Each public response lists its keys in `Surrogate-Key` (Varnish xkey,
Fastly) and `Cache-Tag` (Cloudflare); the page cache in front of Django
reads the same header. A committed change invalidates exactly the keys of
what it changed (articles/invalidation.py), here and in any CDN
(newsroom/purge/).

Two kinds of keys:
- a thing's own fields, shown wherever it appears: `brief-12` (its page,
  its teasers, feed items, related boxes), `category-3`, `topic-5`,
  `author-7` (names, descriptions, bios), `labels` (section labels, few and
  shown in every brief), `nav` (the categories at the top of every page);
- a list, whose membership or order changes when a brief enters or leaves
  it: `list-home`, `list-feed`, `list-category-3`, `list-topic-5` (also the
  related box of every brief on that topic), `list-author-7`,
  `list-archive`, `list-year-2026`, `list-month-2026-03`,
  `list-day-2026-03-14`, `search`, `sitemap`.

`site` is on every page: purging it empties every cache (a deploy, a
change nobody mapped).

Views add keys while they build the page (`add`); `public_page` collects
them per request (a context variable, so feeds and other code without the
request can add too) and writes the headers.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

SITE = "site"
NAV = "nav"
LABELS = "labels"
HOME = "list-home"
FEED = "list-feed"
ARCHIVE = "list-archive"
SEARCH = "search"
SITEMAP = "sitemap"

# Response headers: Fastly and Varnish xkey read the first (space-separated),
# Cloudflare the second (comma-separated).
SURROGATE_KEY_HEADER = "Surrogate-Key"
CACHE_TAG_HEADER = "Cache-Tag"


# A thing's key and its list's key, from its primary key: brief(12) is "brief-12".
brief = "brief-{}".format
category = "category-{}".format
topic = "topic-{}".format
author = "author-{}".format
category_list = "list-category-{}".format
topic_list = "list-topic-{}".format
author_list = "list-author-{}".format


def date_lists(published_at: datetime) -> set[str]:
    """The archive pages a brief published at `published_at` is listed on."""
    day = (
        timezone.localtime(published_at).date()
        if timezone.is_aware(published_at)
        else published_at.date()
    )
    return {
        ARCHIVE,
        f"list-year-{day:%Y}",
        f"list-month-{day:%Y-%m}",
        f"list-day-{day:%Y-%m-%d}",
    }


def year_list(year: int) -> str:
    return f"list-year-{year:04d}"


def month_list(year: int, month: int) -> str:
    return f"list-month-{year:04d}-{month:02d}"


def day_list(year: int, month: int, day: int) -> str:
    return f"list-day-{year:04d}-{month:02d}-{day:02d}"


# The keys of the page being built in this request (None outside one).
_collected: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "surrogate_keys", default=None
)


def start() -> contextvars.Token:
    return _collected.set({SITE})


def finish(token: contextvars.Token) -> set[str]:
    keys = _collected.get() or set()
    _collected.reset(token)
    return keys


def add(*keys: str) -> None:
    collected = _collected.get()
    if collected is not None:
        collected.update(keys)


def _stored_ids(article, part: str) -> list | None:
    """Ids of the authors or topics stored with the brief's rendering
    (articles/rendering.py), or None when that rendering predates them."""
    stored = (getattr(article, "body_parts", None) or {}).get(part)
    if stored is None or not all("id" in item for item in stored):
        return None
    return [item["id"] for item in stored]


def author_ids(article) -> list:
    ids = _stored_ids(article, "authors")
    return ids if ids is not None else [a.pk for a in article.byline_authors]


def topic_ids(article) -> list:
    ids = _stored_ids(article, "topics")
    return ids if ids is not None else [t.pk for t in article.topics.all()]


def add_teasers(articles: Iterable) -> None:
    """Keys of briefs shown as teasers: loaded with for_cards() or
    for_listing() (no query)."""
    keys = []
    for article in articles:
        keys.append(brief(article.pk))
        if article.category_id:
            keys.append(category(article.category_id))
        # A listing loads no byline rows and defers the stored parts: its
        # teasers show the byline as rendered, which a rename re-renders and
        # then invalidates by the brief's own key.
        if "body_parts" not in article.get_deferred_fields():
            keys.extend(author(pk) for pk in author_ids(article))
    add(*keys)


def add_whole_briefs(articles: Iterable) -> None:
    """Keys of briefs shown whole (page, feed item), from their stored
    rendering: no query."""
    articles = list(articles)
    add_teasers(articles)
    add(LABELS)
    add(*(topic(pk) for article in articles for pk in topic_ids(article)))


def header_value(keys: Iterable[str]) -> str:
    return " ".join(sorted(keys))


def parse(value: str) -> frozenset[str]:
    return frozenset(value.replace(",", " ").split())


def apply(response, keys: set[str]) -> None:
    response[SURROGATE_KEY_HEADER] = header_value(keys)
    response[CACHE_TAG_HEADER] = ",".join(sorted(keys))
