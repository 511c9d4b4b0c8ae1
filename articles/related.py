"""Related briefs: the published briefs sharing the most topics with one brief.

One query, using the brief's prefetched topics: the published briefs tagged
with any of them, counted by how many they share, best first. (Four
correlated subqueries inside the brief's own query saved a round trip but ran
the same ranking four times: 32 ms instead of 6 ms on 3,000 briefs.)
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count
from django.urls import reverse

LIMIT = 4


@dataclass(frozen=True)
class RelatedBrief:
    headline: str
    slug: str
    published_at: datetime | None
    category: str

    def get_absolute_url(self):
        return reverse("articles:detail", kwargs={"slug": self.slug})


def related_to(article, limit: int = LIMIT) -> list[RelatedBrief]:
    """The briefs sharing most topics with `article`; reads its prefetched topics."""
    from articles.models import Article

    topic_ids = [topic.pk for topic in article.topics.all()]
    if not topic_ids:
        return []
    rows = (
        Article.objects.published()
        .filter(topics__in=topic_ids)
        .exclude(pk=article.pk)
        .annotate(shared=Count("topics"))
        .order_by("-shared", "-published_at", "-pk")
        .values_list("headline", "slug", "published_at", "category__name")[:limit]
    )
    return [
        RelatedBrief(headline, slug, published_at, category or "")
        for headline, slug, published_at, category in rows
    ]
