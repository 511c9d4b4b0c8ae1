"""The addresses surrogate keys stand for, for caches that purge only by URL.

Exact for a brief's own page, its lists' first pages, feeds, archives and
sitemaps. Later pages of a list, related boxes and search results are not
listed: they refresh by s-maxage (set PAGE_CACHE_SHARED_SECONDS short with
URL purging). A rename or anything site-wide stands for every page (None).

Which paths a key names is the app's to say (articles/addresses.py,
registered when the app is ready): this package imports no app.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from newsroom.links import absolute_url

_EVERYTHING = re.compile(r"^(site|nav|labels|(category|topic|author)-\d+)$")

# Key → the paths it names; registered by the app that shows the pages.
_paths_of: Callable[[str], set[str]] | None = None


def register_paths(paths_of: Callable[[str], set[str]]) -> None:
    global _paths_of
    _paths_of = paths_of


def urls_for(keys) -> set[str] | None:
    """Absolute URLs of the pages `keys` name, or None for every page."""
    if _paths_of is None:
        return None  # nobody said: every page, to be safe
    paths: set[str] = set()
    for key in keys:
        if _EVERYTHING.match(key):
            return None
        paths |= _paths_of(key)
    return {absolute_url(path) for path in paths}
