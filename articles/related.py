"""Related briefs: the published briefs sharing the most topics with one brief.

One query, using the brief's topics as rendered on save (body_parts): the
published briefs tagged with any of them, counted by how many they share,
best first. (Four correlated subqueries inside the brief's own query saved a
round trip but ran the same ranking four times.)

The ranking still reads every link to those topics, a cost that grows with
the archive, yet its answer only changes when published content does. So it is kept in Django's cache under
the shared content version (newsroom/pagecache.py): any committed change, or
a scheduled brief going live, makes a new version and so a new key. The
brief's topics are part of the key, so a preview with other topics ranks
afresh.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

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


def related_to(article) -> list[RelatedBrief]:
    """The briefs sharing most topics with `article`; reads its rendered topics."""
    topic_ids = sorted(topic["id"] for topic in article.body_parts.get("topics", []))
    if not topic_ids:
        return []
    key = "articles:related:{}:{}:{}".format(
        content_version().stamp, article.pk, ",".join(map(str, topic_ids))
    )
    briefs = cache.get(key)
    if briefs is None:
        briefs = _rank(article.pk, topic_ids)
        cache.set(key, briefs, CACHE_SECONDS)
    return briefs


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
