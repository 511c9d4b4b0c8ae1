"""No stale page: every change readers could see shows at once through the cache.

Each test reads a page through the real WSGI stack with the page cache in
front (as gunicorn serves it), makes one change with a real commit, and reads
again.
"""

import re
import threading
from contextlib import ExitStack
from datetime import timedelta
from io import StringIO
from unittest import mock, skipUnless

import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.test import TransactionTestCase, override_settings
from django.utils import timezone

from articles import search
from articles.models import Article, Bullet, Category, Correction
from newsroom import pagecache
from newsroom.pagecache import PageCache
from tests.factories import (
    make_article,
    make_bullet,
    make_category,
    make_section,
)
from tests.helpers import DB_TASKS, DUMMY_TASKS, HarbourPageCacheTestCase, reader_get


class NoStalePageTests(HarbourPageCacheTestCase):
    def assert_cached(self, path):
        self.get(path)
        status, _, hit = self.get(path)
        self.assertTrue(status.startswith("200"), status)
        self.assertIs(hit, True, f"{path} was not served from the page cache")

    def test_publishing_a_brief_shows_it_on_home_and_its_category(self):
        self.assert_cached("/")
        self.assert_cached("/category/harbours/")
        make_article(headline="Tugboats strike at dawn", category=self.harbours)
        for path in ("/", "/category/harbours/"):
            status, body, hit = self.get(path)
            self.assertIn("Tugboats strike at dawn", body, path)
            self.assertIs(hit, False)

    def test_editing_a_bullet_shows_on_the_article_page(self):
        self.assert_cached("/briefs/cranes/")
        make_bullet(self.section, "A new bullet arrives.")
        self.assertIn("A new bullet arrives.", self.get("/briefs/cranes/")[1])

    def test_editing_the_headline_shows_everywhere(self):
        for path in ("/", "/briefs/cranes/", "/topic/shipping/", "/author/ada/"):
            self.assert_cached(path)
        self.cranes.headline = "Cranes roar back"
        self.cranes.save()
        for path in ("/", "/briefs/cranes/", "/topic/shipping/", "/author/ada/"):
            self.assertIn("Cranes roar back", self.get(path)[1], path)

    def test_unpublishing_removes_the_brief(self):
        self.assert_cached("/briefs/cranes/")
        self.assert_cached("/")
        self.cranes.status = Article.Status.UNPUBLISHED
        self.cranes.save()
        self.assertTrue(self.get("/briefs/cranes/")[0].startswith("404"))
        self.assertNotIn("Cranes return to the port", self.get("/")[1])

    def test_a_correction_shows_at_once(self):
        self.assert_cached("/briefs/cranes/")
        Correction.objects.create(
            article=self.cranes, text="An earlier version misnamed the port."
        )
        self.assertIn("misnamed the port", self.get("/briefs/cranes/")[1])

    def test_a_scheduled_brief_appears_when_its_time_comes(self):
        with time_machine.travel(timezone.now(), tick=False) as clock:
            make_article(
                headline="Scheduled harbour brief",
                slug="scheduled",
                published_at=timezone.now() + timedelta(minutes=30),
            )
            self.assert_cached("/")
            self.assertNotIn("Scheduled harbour brief", self.get("/")[1])
            clock.shift(timedelta(minutes=31))
            status, body, hit = self.get("/")
            self.assertIn("Scheduled harbour brief", body)
            self.assertIs(hit, False)
            self.assertTrue(self.get("/briefs/scheduled/")[0].startswith("200"))

    def test_renaming_an_author_category_or_topic_shows_on_the_article(self):
        self.assert_cached("/briefs/cranes/")
        for obj, name in [
            (self.ada, "Ada Q. Quill"),
            (self.harbours, "Ports and harbours"),
            (self.shipping, "Global shipping"),
        ]:
            obj.name = name
            obj.save()
            # Briefs showing an author or topic are rendered again by a task.
            call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
            self.assertIn(name, self.get("/briefs/cranes/")[1])
            self.assert_cached("/briefs/cranes/")

    def test_changes_that_readers_cannot_see_keep_the_cache(self):
        from django.contrib.auth import get_user_model

        self.assert_cached("/briefs/cranes/")
        get_user_model().objects.create(username="newcomer")
        self.assertIs(self.get("/briefs/cranes/")[2], True)


@override_settings(PAGE_CACHE_ENABLED=True, ALLOWED_HOSTS=["testserver"])
class WarmProcessQueryTests(TransactionTestCase):
    def test_a_cached_page_and_a_revalidation_run_no_query(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        make_article(slug="warm")
        tests = NoStalePageTests(methodName="get")
        tests.app = PageCache(WSGIHandler())
        for path in ("/", "/briefs/warm/"):
            tests.get(path)
            with CaptureQueriesContext(connection) as ctx:
                status, _, hit = tests.get(path)
            self.assertIs(hit, True)
            self.assertEqual(len(ctx.captured_queries), 0, path)


def nav_names(html: str) -> list[str]:
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav)


@override_settings(PAGE_CACHE_ENABLED=True, ALLOWED_HOSTS=["testserver"])
class NavigationTests(TransactionTestCase):
    """The categories at the top of every page are as current as the page."""

    def setUp(self):
        self.category = make_category(name="Harbours", slug="harbours")
        self.pages = NoStalePageTests(methodName="get")
        self.pages.app = PageCache(WSGIHandler())

    def test_it_follows_the_content_version(self):
        self.assertEqual(nav_names(self.pages.get("/")[1]), ["Harbours"])
        # Written around the signals, then any committed change bumps.
        Category.objects.filter(pk=self.category.pk).update(name="Ports")
        pagecache.bump()
        self.assertEqual(nav_names(self.pages.get("/search/")[1]), ["Ports"])

    @skipUnless(
        connection.vendor == "postgresql",
        "needs a second connection reading committed rows while a transaction "
        "is open (SQLite's in-memory test database locks the table instead)",
    )
    def test_a_reader_during_the_save_does_not_keep_the_old_names(self):
        self.assertEqual(nav_names(self.pages.get("/")[1]), ["Harbours"])
        seen = []

        def reader():
            try:
                seen.append(nav_names(self.pages.get("/search/")[1]))
            finally:
                connection.close()

        with transaction.atomic():
            self.category.name = "Ports"
            self.category.save()
            # Another worker renders a page meanwhile, from committed rows.
            thread = threading.Thread(target=reader)
            thread.start()
            thread.join()
        self.assertEqual(seen, [["Harbours"]])
        self.assertEqual(nav_names(self.pages.get("/category/harbours/")[1]), ["Ports"])


def refuse(only=None):
    """An execute wrapper standing in for a database that dropped: every query
    (or those whose SQL contains `only`) fails as a closed connection does."""

    def wrapper(execute, sql, params, many, context):
        if only is None or only in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    return wrapper


@override_settings(PAGE_CACHE_ENABLED=True, ALLOWED_HOSTS=["testserver"])
class FollowUpTests(TransactionTestCase):
    """After a commit the search index, then the page cache, catch up, each on
    its own, whatever fails on the way."""

    def setUp(self):
        self.app = PageCache(WSGIHandler())
        self.article = make_article(headline="Cranes return to the port", slug="x")
        self.section = make_section(self.article, custom_label="Zoom in")

    def read(self, path, query=""):
        _, body, hit = reader_get(self.app, path, query)
        return body, hit

    def assert_cached(self, path, query=""):
        self.read(path, query)
        self.assertIs(self.read(path, query)[1], True, path)

    def found(self, word) -> bool:
        # The word is only in a bullet: found through the search index alone.
        body, _ = self.read("/search/", f"q={word}")
        return "Cranes return to the port" in body

    def test_a_search_read_before_the_index_catches_up_is_not_kept(self):
        self.assert_cached("/search/", "q=tugboats")
        update_index = search.update_index

        def a_reader_comes_first(article_id):
            self.read("/search/", "q=tugboats")
            update_index(article_id)

        with mock.patch.object(search, "update_index", a_reader_comes_first):
            make_bullet(self.section, "Tugboats strike at dawn.")
        self.assertIs(self.found("tugboats"), True)

    def test_rebuilding_the_index_shows_on_cached_search_pages(self):
        self.assert_cached("/search/", "q=bulkwords")
        Bullet.objects.bulk_create([Bullet(section=self.section, text="Bulkwords.")])
        call_command("rebuild_search_index", stdout=StringIO())
        self.assertIs(self.found("bulkwords"), True)

    @override_settings(TASKS=DB_TASKS)
    def test_a_database_drop_just_after_commit_loses_no_follow_up(self):
        self.assert_cached("/briefs/x/")
        self.assert_cached("/search/", "q=tugboats")
        with ExitStack() as outage:
            with transaction.atomic():
                # First in line: the database goes away right after the commit,
                # before any follow-up (and the task backend is the database).
                transaction.on_commit(
                    lambda: outage.enter_context(connection.execute_wrapper(refuse()))
                )
                make_bullet(self.section, "Tugboats strike at dawn.")
        # The database is back. Readers come; the follow-ups catch up.
        self.assertIn("Tugboats strike at dawn.", self.read("/briefs/x/")[0])
        self.assertIs(self.found("tugboats"), True)

    @override_settings(TASKS=DUMMY_TASKS)
    def test_a_failed_index_update_is_retried_by_a_task_and_pages_follow(self):
        from django.tasks import default_task_backend

        self.assert_cached("/briefs/x/")
        self.assert_cached("/search/", "q=tugboats")
        with connection.execute_wrapper(refuse(only='"search_document"')):
            make_bullet(self.section, "Tugboats strike at dawn.")
        # The page cache did not wait for the index.
        self.assertIn("Tugboats strike at dawn.", self.read("/briefs/x/")[0])
        self.assertIs(self.found("tugboats"), False)
        [retry] = default_task_backend.results
        self.assertGreater(retry.task.run_after, timezone.now())
        retry.task.call(*retry.args, **retry.kwargs)
        self.assertIs(self.found("tugboats"), True)
