import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from tests.factories import make_article, make_author, make_category
from tests.helpers import SITE, on_the_site, world_trade_ada

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def parse(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.content)


def locations(root):
    return [loc.text for loc in root.iter(f"{SM}loc")]


@on_the_site()
class SitemapTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world, cls.trade, cls.ada = world_trade_ada(ada={"name": "Ada"})
        cls.empty = make_category(name="Empty", slug="empty")
        cls.fresh = make_article(
            headline="Fresh & new <news>",
            slug="fresh",
            category=cls.world,
            topics=[cls.trade],
            authors=[cls.ada],
        )
        cls.old = make_article(
            headline="Old news",
            slug="old",
            published_at=timezone.now() - timedelta(days=5),
        )
        cls.draft = make_article(slug="draft", status=Article.Status.DRAFT)
        cls.scheduled = make_article(
            slug="later", published_at=timezone.now() + timedelta(hours=2)
        )

    def test_the_index_lists_every_sitemap_on_site_url(self):
        root = parse(self.client.get("/sitemap.xml", HTTP_HOST="evil.example"))
        self.assertEqual(root.tag, f"{SM}sitemapindex")
        self.assertEqual(
            locations(root),
            [
                f"{SITE}/sitemap-briefs.xml",
                f"{SITE}/sitemap-categories.xml",
                f"{SITE}/sitemap-topics.xml",
                f"{SITE}/sitemap-authors.xml",
                f"{SITE}/sitemap-news.xml",
            ],
        )
        for entry in root.iter(f"{SM}sitemap"):
            lastmod = entry.findtext(f"{SM}lastmod")
            self.assertIsNotNone(datetime.fromisoformat(lastmod))

    def test_the_brief_sitemap_lists_published_briefs_with_lastmod(self):
        root = parse(self.client.get("/sitemap-briefs.xml", HTTP_HOST="evil.example"))
        self.assertEqual(
            locations(root), [f"{SITE}/briefs/fresh/", f"{SITE}/briefs/old/"]
        )
        for url in root.iter(f"{SM}url"):
            self.assertIsNotNone(datetime.fromisoformat(url.findtext(f"{SM}lastmod")))

    def test_group_sitemaps_list_pages_that_have_published_briefs(self):
        self.assertEqual(
            locations(parse(self.client.get("/sitemap-categories.xml"))),
            [f"{SITE}/category/world/"],
        )
        self.assertEqual(
            locations(parse(self.client.get("/sitemap-topics.xml"))),
            [f"{SITE}/topic/trade/"],
        )
        self.assertEqual(
            locations(parse(self.client.get("/sitemap-authors.xml"))),
            [f"{SITE}/author/ada/"],
        )
        self.assertEqual(self.client.get("/sitemap-nope.xml").status_code, 404)

    def test_the_news_sitemap_has_the_last_48_hours_in_the_news_namespace(self):
        root = parse(self.client.get("/sitemap-news.xml"))
        urls = list(root.iter(f"{SM}url"))
        self.assertEqual(len(urls), 1)
        url = urls[0]
        self.assertEqual(url.findtext(f"{SM}loc"), f"{SITE}/briefs/fresh/")
        news = url.find(f"{NEWS}news")
        self.assertEqual(news.findtext(f"{NEWS}publication/{NEWS}name"), "Newsroom")
        self.assertEqual(news.findtext(f"{NEWS}publication/{NEWS}language"), "en")
        self.assertEqual(news.findtext(f"{NEWS}title"), "Fresh & new <news>")
        published = datetime.fromisoformat(news.findtext(f"{NEWS}publication_date"))
        self.assertEqual(published, self.fresh.published_at.replace(microsecond=0))

    def test_the_news_sitemap_counts_hours_not_days(self):
        make_article(slug="47h", published_at=timezone.now() - timedelta(hours=47))
        make_article(slug="49h", published_at=timezone.now() - timedelta(hours=49))
        found = locations(parse(self.client.get("/sitemap-news.xml")))
        self.assertIn(f"{SITE}/briefs/47h/", found)
        self.assertNotIn(f"{SITE}/briefs/49h/", found)

    def test_robots_txt_points_at_the_sitemaps(self):
        response = self.client.get("/robots.txt", HTTP_HOST="evil.example")
        self.assertEqual(response["Content-Type"], "text/plain; charset=utf-8")
        lines = response.content.decode().splitlines()
        self.assertIn("User-agent: *", lines)
        self.assertIn("Disallow: /admin/", lines)
        self.assertIn(f"Sitemap: {SITE}/sitemap.xml", lines)
        self.assertIn(f"Sitemap: {SITE}/sitemap-news.xml", lines)

    def test_sitemaps_run_the_same_queries_however_many_briefs(self):
        urls = ["/sitemap.xml", "/sitemap-briefs.xml", "/sitemap-news.xml"]
        counts = {}
        for url in urls:
            self.client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                self.client.get(url)
            counts[url] = len(ctx.captured_queries)
        for _ in range(8):
            make_article(
                category=self.world, topics=[self.trade], authors=[make_author()]
            )
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                self.client.get(url)
            self.assertEqual(len(ctx.captured_queries), counts[url], url)
        self.assertLessEqual(counts["/sitemap-briefs.xml"], 2)
        self.assertLessEqual(counts["/sitemap-news.xml"], 2)
        self.assertLessEqual(counts["/sitemap.xml"], 10)
