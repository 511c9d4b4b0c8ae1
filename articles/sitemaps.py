"""Sitemaps for search engines, and the Google News sitemap.

Locations are made from settings.SITE_URL (never the request's host). The
sitemap index is our own small view because Django's builds its links from
the request. Each sitemap's latest lastmod comes from one aggregate query,
not from loading every row.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.utils import timezone

from articles.models import Article, Author, Category, Topic


class SiteUrlSitemap(Sitemap):
    @property
    def protocol(self):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class ArticleSitemap(SiteUrlSitemap):
    def items(self):
        return (
            Article.objects.published()
            .only("slug", "published_at", "updated_at")
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, item):
        return max(item.updated_at, item.published_at)

    def get_latest_lastmod(self):
        return Article.objects.published().aggregate(last=Max("updated_at"))["last"]


def _published_under(prefix: str) -> Q:
    now = timezone.now()
    return Q(
        **{
            f"{prefix}status": Article.Status.PUBLISHED,
            f"{prefix}published_at__lte": now,
        }
    )


class _GroupSitemap(SiteUrlSitemap):
    """Pages that list briefs: lastmod is their latest brief's change."""

    model = None
    path_to_articles = ""

    def items(self):
        prefix = f"{self.path_to_articles}__"
        return (
            self.model.objects.annotate(
                last_change=Max(f"{prefix}updated_at", filter=_published_under(prefix))
            )
            .filter(last_change__isnull=False)
            .only("slug")
            .order_by("pk")
        )

    def lastmod(self, item):
        return item.last_change

    def get_latest_lastmod(self):
        return Article.objects.published().aggregate(last=Max("updated_at"))["last"]


class CategorySitemap(_GroupSitemap):
    model = Category
    path_to_articles = "articles"


class TopicSitemap(_GroupSitemap):
    model = Topic
    path_to_articles = "articles"


class AuthorSitemap(_GroupSitemap):
    model = Author
    path_to_articles = "bylines__article"


class NewsSitemap(SiteUrlSitemap):
    """Google News: briefs published in the last NEWS_SITEMAP_HOURS, at most 1000."""

    limit = 1000

    def items(self):
        since = timezone.now() - timedelta(hours=settings.NEWS_SITEMAP_HOURS)
        return (
            Article.objects.published()
            .filter(published_at__gte=since)
            .only("slug", "headline", "published_at", "updated_at")
            .order_by("-published_at", "-pk")[: self.limit]
        )

    def lastmod(self, item):
        return max(item.updated_at, item.published_at)

    def get_latest_lastmod(self):
        since = timezone.now() - timedelta(hours=settings.NEWS_SITEMAP_HOURS)
        return (
            Article.objects.published()
            .filter(published_at__gte=since)
            .aggregate(last=Max("updated_at"))["last"]
        )


SITEMAPS = {
    "briefs": ArticleSitemap,
    "categories": CategorySitemap,
    "topics": TopicSitemap,
    "authors": AuthorSitemap,
}
NEWS_SITEMAPS = {"news": NewsSitemap}
