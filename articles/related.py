"""Related briefs: the published briefs sharing the most topics with one brief.

They are fetched inside the article's own query, as a few correlated
subqueries that each return one brief as a JSON object, so the article page
pays no extra round trip for them (its query budget is fixed).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.urls import reverse
from django.utils.dateparse import parse_datetime

LIMIT = 4


@dataclass(frozen=True)
class RelatedBrief:
    headline: str
    slug: str
    published_at: datetime | None
    category: str

    def get_absolute_url(self):
        return reverse("articles:detail", kwargs={"slug": self.slug})


def annotations() -> dict:
    """Annotations for an Article queryset: related_1 … related_LIMIT."""
    from articles.models import Article

    ranked = (
        Article.objects.published()
        .filter(topics__articles=OuterRef("pk"))
        .exclude(pk=OuterRef("pk"))
        .annotate(shared=Count("topics"))
        .order_by("-shared", "-published_at", "-pk")
        .values(
            data=JSONObject(
                headline="headline",
                slug="slug",
                published_at="published_at",
                category="category__name",
            )
        )
    )
    return {f"related_{n}": Subquery(ranked[n - 1 : n]) for n in range(1, LIMIT + 1)}


def _when(value) -> datetime | None:
    if not value:
        return None
    when = parse_datetime(str(value).replace(" ", "T", 1))
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # SQLite stores UTC without an offset
    return when


def related_of(article) -> list[RelatedBrief]:
    """The briefs annotated on `article` by annotations(), best first."""
    found = []
    for n in range(1, LIMIT + 1):
        data = getattr(article, f"related_{n}", None)
        if not data:
            break
        found.append(
            RelatedBrief(
                headline=data["headline"],
                slug=data["slug"],
                published_at=_when(data.get("published_at")),
                category=data.get("category") or "",
            )
        )
    return found
