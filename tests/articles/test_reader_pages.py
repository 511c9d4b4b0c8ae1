import re
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from tests.factories import make_article, make_author, make_category, make_topic


def when(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


class RelatedBriefsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.trade, cls.ports, cls.eu = (make_topic() for _ in range(3))
        cls.article = make_article(slug="main", topics=[cls.trade, cls.ports, cls.eu])
        cls.two_shared = make_article(
            headline="Shares two topics",
            topics=[cls.trade, cls.ports],
            published_at=timezone.now() - timedelta(days=3),
        )
        cls.one_newer = make_article(headline="Shares one, newer", topics=[cls.eu])
        cls.one_older = make_article(
            headline="Shares one, older",
            topics=[cls.trade],
            published_at=timezone.now() - timedelta(days=9),
        )
        make_article(headline="Shares none", topics=[make_topic()])
        make_article(
            headline="Draft sharing all",
            status=Article.Status.DRAFT,
            topics=[cls.trade, cls.ports, cls.eu],
        )
        make_article(
            headline="Scheduled sharing all",
            published_at=timezone.now() + timedelta(hours=1),
            topics=[cls.trade, cls.ports, cls.eu],
        )

    def related_headlines(self, slug="main"):
        html = self.client.get(f"/briefs/{slug}/").content.decode()
        if 'class="related"' not in html:
            return []
        block = html.split('class="related"')[1].split("</aside>")[0]
        return re.findall(r'class="related__link" href="[^"]+">([^<]+)</a>', block)

    def test_briefs_sharing_more_topics_come_first_then_newer(self):
        self.assertEqual(
            self.related_headlines(),
            ["Shares two topics", "Shares one, newer", "Shares one, older"],
        )

    def test_it_shows_at_most_four_and_never_drafts_or_itself(self):
        for _ in range(5):
            make_article(headline="Another", topics=[self.trade])
        headlines = self.related_headlines()
        self.assertEqual(len(headlines), 4)
        self.assertNotIn("Draft sharing all", headlines)
        self.assertNotIn("Scheduled sharing all", headlines)
        self.assertNotIn(self.article.headline, headlines)

    def test_a_brief_without_topics_has_no_related_section(self):
        make_article(slug="lonely")
        self.assertEqual(self.related_headlines("lonely"), [])


class DateArchiveTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        make_article(headline="March brief", published_at=when(2025, 3, 14, 9))
        make_article(headline="Late March brief", published_at=when(2025, 3, 30, 18))
        make_article(headline="April brief", published_at=when(2025, 4, 2, 8))
        make_article(headline="Old year brief", published_at=when(2024, 12, 31, 8))
        make_article(
            headline="Draft in March",
            status=Article.Status.DRAFT,
            published_at=when(2025, 3, 15, 9),
        )

    def test_the_index_lists_months_with_counts(self):
        response = self.client.get("/archive/")
        self.assertContains(response, 'href="/archive/2025/3/">March</a>')
        self.assertContains(response, "2 briefs")
        self.assertContains(response, 'href="/archive/2024/12/">December</a>')
        self.assertNotContains(response, "Draft in March")

    def test_year_month_and_day_pages_list_their_briefs(self):
        year = self.client.get("/archive/2025/").content.decode()
        self.assertIn("March brief", year)
        self.assertIn("April brief", year)
        self.assertNotIn("Old year brief", year)
        month = self.client.get("/archive/2025/3/").content.decode()
        self.assertLess(month.index("Late March brief"), month.index(">March brief"))
        self.assertNotIn("April brief", month)
        self.assertNotIn("Draft in March", month)
        self.assertIn('href="/archive/2025/4/">April 2025 →', month)
        day = self.client.get("/archive/2025/3/14/").content.decode()
        self.assertIn("March brief", day)
        self.assertNotIn("Late March brief", day)

    def test_empty_or_impossible_dates_are_404s(self):
        for url in ["/archive/2023/", "/archive/2025/5/", "/archive/2025/13/"]:
            self.assertEqual(self.client.get(url).status_code, 404, url)
        self.assertEqual(self.client.get("/archive/2025/2/30/").status_code, 404)


class ErrorPageTests(TestCase):
    def test_the_404_page_is_in_the_site_design_with_a_search_box(self):
        response = self.client.get("/no/such/page/")
        self.assertEqual(response.status_code, 404)
        html = response.content.decode()
        self.assertIn('class="site-header"', html)
        self.assertIn("We can’t find that page", html)
        self.assertIn('action="/search/"', html)
        self.assertEqual(html.count("<h1"), 1)
        self.assertIn("private", response["Cache-Control"])

    def test_the_500_page_renders_without_context_or_the_database(self):
        # Django's default handler renders templates/500.html with no context.
        from django.views.defaults import server_error

        with self.assertNumQueries(0):
            response = server_error(RequestFactory().get("/"))
        self.assertEqual(response.status_code, 500)
        html = response.content.decode()
        self.assertIn("Something went wrong on our side", html)
        self.assertIn("<title>Something went wrong · Newsroom</title>", html)
        self.assertIn("/static/css/site.css", html)


class ReaderPageQueryCountTests(TestCase):
    """Every list page runs a fixed number of queries, however long the list."""

    @classmethod
    def setUpTestData(cls):
        cls.world = make_category(slug="world")
        cls.trade = make_topic(slug="trade")
        cls.ada = make_author(slug="ada")

    def add_briefs(self, n):
        for _ in range(n):
            make_article(
                category=self.world,
                topics=[self.trade],
                authors=[self.ada, make_author()],
                published_at=timezone.now() - timedelta(hours=1),
            )

    def count(self, url) -> int:
        # A full render: no list's count kept from an earlier request (a
        # TestCase never commits, so the content version never moves), but
        # the navigation cached, as a running site has it.
        cache.clear()
        self.client.get("/archive/")
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return len(ctx.captured_queries)

    def test_list_pages_do_not_grow_with_their_lists(self):
        today = timezone.now() - timedelta(hours=1)
        urls = {
            "/topic/trade/": 4,
            "/author/ada/": 4,
            "/category/world/": 4,
            # Date archives also look up the neighbouring months and days.
            f"/archive/{today:%Y}/": 7,
            f"/archive/{today:%Y}/{today.month}/": 7,
            f"/archive/{today:%Y}/{today.month}/{today.day}/": 8,
            "/archive/": 1,
            "/search/?q=brief": 3,
        }
        self.add_briefs(1)
        few = {url: self.count(url) for url in urls}
        self.add_briefs(9)
        for url, budget in urls.items():
            with self.subTest(url=url):
                self.assertEqual(self.count(url), few[url])
                self.assertLessEqual(few[url], budget)
