"""The three lists of briefs about one thing: a category, a topic, an author.

One page view (articles/views.ListingView) and one feed (articles/feeds.
ListingFeed) serve all three; a Listing says what differs. Its `kind` names
the rest: the URLs (articles:<kind>, <kind>-feed, <kind>-feed-atom), the
template (articles/<kind>.html) and the page's context variable.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.shortcuts import get_object_or_404

from articles.models import Author, Category, Topic
from newsroom import surrogate


@dataclass(frozen=True)
class Listing:
    kind: str
    model: type[models.Model]
    lookup: str  # from a brief to the thing
    preposition: str  # "Briefs in …", "The latest briefs by …"
    thing_key: Callable[[int], str]  # the thing's own fields (surrogate.py)
    list_key: Callable[[int], str]  # the list's membership
    # The thing's own words for its page and its feed ("" for none).
    page_text: Callable[[models.Model], str]
    feed_text: Callable[[models.Model], str]
    # A person's page: og:type profile, their photo, ProfilePage JSON-LD.
    profile: bool = False

    def get(self, slug: str) -> models.Model:
        return get_object_or_404(self.model, slug=slug)

    def briefs(self, queryset, thing):
        return queryset.filter(**{self.lookup: thing})

    def surrogate_keys(self, pk: int) -> set[str]:
        return {self.thing_key(pk), self.list_key(pk)}


CATEGORY = Listing(
    "category",
    Category,
    "category",
    "in",
    surrogate.category,
    surrogate.category_list,
    page_text=lambda category: category.description,
    feed_text=lambda category: category.description,
)
TOPIC = Listing(
    "topic",
    Topic,
    "topics",
    "on",
    surrogate.topic,
    surrogate.topic_list,
    page_text=lambda topic: topic.description,
    feed_text=lambda topic: topic.description,
)
AUTHOR = Listing(
    "author",
    Author,
    "bylines__author",
    "by",
    surrogate.author,
    surrogate.author_list,
    page_text=lambda author: author.bio[:300] if author.bio else "",
    feed_text=lambda author: "",
    profile=True,
)
LISTINGS = (CATEGORY, TOPIC, AUTHOR)
