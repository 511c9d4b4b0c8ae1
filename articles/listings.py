"""The three lists of briefs about one thing: a category, a topic, an author.

One page view (articles/views.ListingView) and one feed (articles/feeds.
ListingFeed) serve all three; a Listing says what differs. Its `kind` names
the rest: the URLs (articles:<kind>, <kind>-feed, <kind>-feed-atom), the
template (articles/<kind>.html) and the page's context variable.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import models
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property

from articles.http import content_version
from articles.models import Author, Category, Topic
from newsroom import surrogate

# Kept at most this long even if nothing changes (seconds).
COUNT_SECONDS = 24 * 3600


class CountedPaginator(Paginator):
    """A list's paginator that counts the list once per content version.

    The count scans every published brief in the list, yet only changes when
    published content does: it is kept in Django's cache under the shared
    content version, which any committed change or a scheduled brief going
    live renews (as articles/related.py keeps its ranking). `name` says which
    list it is (the page's path).
    """

    def __init__(self, object_list, per_page, *, name: str, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.name = hashlib.blake2b(name.encode(), digest_size=12).hexdigest()

    @cached_property
    def count(self) -> int:
        key = f"articles:count:{content_version().stamp}:{self.name}"
        found = cache.get(key)
        if found is None:
            found = self.object_list.count()
            cache.set(key, found, COUNT_SECONDS)
        return found


def _description(thing) -> str:
    return thing.description


@dataclass(frozen=True)
class Listing:
    kind: str
    model: type[models.Model]
    lookup: str  # from a brief to the thing
    preposition: str  # "Briefs in …", "The latest briefs by …"
    # Its surrogate keys (newsroom/surrogate.py): the thing's own fields,
    # then the list's membership.
    keys: tuple[Callable[[int], str], Callable[[int], str]]
    # The thing's own words for its page and its feed ("" for none).
    page_text: Callable[[models.Model], str] = _description
    feed_text: Callable[[models.Model], str] = _description
    # A person's page: og:type profile, their photo, ProfilePage JSON-LD.
    profile: bool = False

    def get(self, slug: str) -> models.Model:
        return get_object_or_404(self.model, slug=slug)

    def briefs(self, queryset, thing):
        return queryset.filter(**{self.lookup: thing})

    def surrogate_keys(self, pk: int) -> set[str]:
        return {key(pk) for key in self.keys}


CATEGORY = Listing(
    "category",
    Category,
    "category",
    "in",
    (surrogate.category, surrogate.category_list),
)
TOPIC = Listing("topic", Topic, "topics", "on", (surrogate.topic, surrogate.topic_list))
AUTHOR = Listing(
    "author",
    Author,
    "bylines__author",
    "by",
    (surrogate.author, surrogate.author_list),
    page_text=lambda author: author.bio[:300] if author.bio else "",
    feed_text=lambda author: "",
    profile=True,
)
LISTINGS = (CATEGORY, TOPIC, AUTHOR)
