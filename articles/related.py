"""Related briefs: the published briefs sharing the most topics with one brief.

One query, using the brief's topics as rendered on save (body_parts): the
published briefs tagged with any of them, counted by how many they share,
best first. (Four correlated subqueries inside the brief's own query saved a
round trip but ran the same ranking four times.)

The ranking still reads every link to those topics, a cost that grows with
the archive, yet its answer only changes when published content does. So the
box is kept rendered in Django's cache, with the ids of the briefs in it
(their surrogate keys go on the page), under the shared content version
(newsroom/pagecache.py): any committed change, or a scheduled brief going
live, makes a new version and so a new key. The brief's topics are part of
the key, so a preview with other topics ranks afresh.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone
from markupsafe import Markup

from articles.http import content_version
from articles.links import slug_url
from articles.models import Article

LIMIT = 4


@dataclass(frozen=True)
class RelatedBrief:
    headline: str
    slug: str
    published_at: datetime | None
    category: str
    pk: int | None = None  # its surrogate key is on the page showing it

    def get_absolute_url(self):
        return slug_url("articles:detail", self.slug)


# Kept at most this long even if nothing changes (seconds).
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Box:
    """The related briefs box as the page shows it, and who is in it."""

    html: Markup
    pks: tuple[int, ...]


NO_BOX = Box(Markup(""), ())


def box(article) -> Box:
    """The box of briefs sharing most topics with `article` (its rendered
    topics), rendered (jinja2/includes/related_briefs.html)."""
    topic_ids = sorted(topic["id"] for topic in article.body_parts.get("topics", []))
    if not topic_ids:
        return NO_BOX
    key = "articles:related-box:{}:{}:{}".format(
        content_version().stamp, article.pk, ",".join(map(str, topic_ids))
    )
    # A plain tuple: the cheapest thing to unpickle on every cold page.
    stored = cache.get(key)
    if stored is None:
        briefs = _rank(article.pk, topic_ids)
        html = render_to_string(
            "includes/related_briefs.html", {"related": briefs}, using="jinja2"
        )
        stored = (html.strip(), tuple(brief.pk for brief in briefs))
        cache.set(key, stored, CACHE_SECONDS)
    html, pks = stored
    return Box(Markup(html), pks)


def _ranking(pk, topic_ids, at):
    # Driven by the topics' own index: the links to these topics (a few
    # hundred rows on 3,000 briefs), each brief checked by primary key and
    # grouped by its id and the four columns shown. Grouping the brief's
    # model rows instead put every column, long texts too, in the GROUP BY;
    # and a plain join let SQLite start from all published briefs.
    published = Article.objects.published(at=at).filter(pk=OuterRef("article_id"))
    return (
        Article.topics.through.objects.filter(topic_id__in=topic_ids)
        .exclude(article_id=pk)
        .filter(Exists(published))
        .values("article_id")
        .annotate(shared=Count("*"))
        .order_by("-shared", "-article__published_at", "-article_id")
        .values_list(
            "article__headline",
            "article__slug",
            "article__published_at",
            "article__category__name",
            "article_id",
        )[:LIMIT]
    )


def _rank(pk, topic_ids) -> list[RelatedBrief]:
    rows = _ranking(pk, topic_ids, timezone.now())
    return [
        RelatedBrief(headline, slug, published_at, category or "", pk)
        for headline, slug, published_at, category, pk in rows
    ]
