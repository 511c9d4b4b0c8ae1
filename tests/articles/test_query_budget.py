"""Query budgets: each reader page runs a fixed number of queries at any size.

These are the budgets of a full render (a page-cache miss); a hit in the page
cache in front of Django runs none (tests/newsroom/test_pagecache.py).

Every page is measured at two sizes (few and many sections, bullets, authors,
topics and listed briefs) on a warm process (navigation already cached) and
must run exactly its budget both times.
"""

from django.core.cache import cache
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from articles import search
from articles.models import Article, Category
from tests.factories import make_author, make_brief, make_category, make_topic

# Page: (path, budget). Each brief's parts (bylines on listings; on the
# article page also topics, corrections, sections and bullets) come in the
# brief's own query as JSON columns (articles/pageload.py). Listings add a
# count for the paginator and, on category/topic/author pages, the page's
# subject; the article page adds its related briefs, which a warm process
# then keeps per content version (see the test below).
BUDGETS = {
    "home": ("/", 2),
    "article": ("/briefs/{slug}/", 2),
    "category": ("/category/{category}/", 3),
    "topic": ("/topic/{topic}/", 3),
    "author": ("/author/{author}/", 3),
    "search": ("/search/?q=harbour", 2),
    "feed": ("/feed/", 1),
    "category feed": ("/category/{category}/feed/", 2),
}


class QueryBudgetTests(TestCase):
    def build(self, n: int):
        """n briefs of n sections × n bullets, each with n authors and topics."""
        category = make_category()
        authors = [make_author() for _ in range(n)]
        topics = [make_topic() for _ in range(n)]
        briefs = [
            make_brief(
                sections=n,
                bullets=n,
                headline=f"Harbour brief {i} of {n}",
                category=category,
                authors=authors,
                topics=topics,
            )
            for i in range(n)
        ]
        # The search index is refreshed after commit, which a TestCase never
        # reaches: refresh it here so search has results to list.
        search.rebuild_index()
        return {
            "slug": briefs[0].slug,
            "category": category.slug,
            "topic": topics[0].slug,
            "author": authors[0].slug,
        }

    def count(self, path: str) -> int:
        cache.clear()
        # A warm process has its navigation cached (a page counting no list).
        self.client.get("/archive/")
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(path)
        self.assertEqual(response.status_code, 200, path)
        if path.startswith("/search/"):
            self.assertContains(response, "Harbour brief")
        return len(ctx.captured_queries)

    def test_every_reader_page_keeps_its_budget_at_two_sizes(self):
        small = self.build(2)
        small_counts = {
            page: self.count(path.format(**small))
            for page, (path, _) in BUDGETS.items()
        }
        large = self.build(9)
        large_counts = {
            page: self.count(path.format(**large))
            for page, (path, _) in BUDGETS.items()
        }
        for page, (_, budget) in BUDGETS.items():
            with self.subTest(page=page):
                self.assertEqual(small_counts[page], budget)
                self.assertEqual(large_counts[page], budget)

    def test_the_article_page_reads_related_briefs_once_per_version(self):
        # A warm process: the second render of the same brief, with nothing
        # changed, reuses the ranking: one query reads the brief and its parts.
        paths = self.build(3)
        self.client.get("/")
        self.client.get(f"/briefs/{paths['slug']}/")
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(f"/briefs/{paths['slug']}/")
        self.assertContains(response, 'class="related"')
        self.assertEqual(len(ctx.captured_queries), 1)

    def test_a_list_counts_its_briefs_once_per_content_version(self):
        def counts(ctx) -> int:
            return sum("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)

        def pages() -> str:
            # Every brief here is in the category: two per page.
            return f"Page 1 of {-(-Article.objects.published().count() // 2)}<"

        paths = self.build(3)
        category = Category.objects.get(slug=paths["category"])
        for path in ("/", category.get_absolute_url()):
            with self.subTest(path=path), self.settings(ARTICLES_PER_PAGE=2):
                with CaptureQueriesContext(connection) as ctx:
                    self.client.get(path)
                self.assertEqual(counts(ctx), 1)
                with CaptureQueriesContext(connection) as ctx:
                    response = self.client.get(path)
                self.assertEqual(counts(ctx), 0)
                self.assertContains(response, pages())
                # A published brief is a new content version: counted again.
                with self.captureOnCommitCallbacks(execute=True):
                    for _ in range(2):
                        make_brief(category=category)
                with CaptureQueriesContext(connection) as ctx:
                    response = self.client.get(path)
                self.assertEqual(counts(ctx), 1)
                self.assertContains(response, pages())
