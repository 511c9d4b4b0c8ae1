import time
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection, transaction
from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone

from articles.models import Article
from newsroom import pagecache
from newsroom.pagecache import FileVersionStore, PageCache, Version
from tests.factories import (
    make_article,
    make_author,
    make_brief,
    make_category,
    make_topic,
)
from tests.helpers import call, wsgi_get


def environ(path="/", method="GET", query="", **extra):
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(),
    }
    env.update(extra)
    return env


class FakeApp:
    """Stands in for Django: counts renders and answers what it is told.

    `sizes` maps a path to the length of its body (padded with dots).
    """

    def __init__(self, status="200 OK", headers=None, sizes=None):
        self.calls = 0
        self.status = status
        self.headers = headers or [
            ("Content-Type", "text/html"),
            ("Cache-Control", "public, max-age=60"),
        ]
        self.sizes = sizes or {}

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response(self.status, list(self.headers))
        body = f"render {self.calls}".encode()
        size = self.sizes.get(environ["PATH_INFO"])
        return [body.ljust(size, b".") if size else body]


def renders(*environs, app=None) -> int:
    """How many times `app` (a new FakeApp) rendered while a new page cache in
    front of it answered `environs` in turn."""
    app = app or FakeApp()
    cached = PageCache(app)
    for env in environs:
        call(cached, env)
    return app.calls


def brief_due_in_five_minutes(time_machine):
    """Time stands still; a brief is scheduled five minutes from now, and the
    page cache's version knows it (valid until then)."""
    time_machine.move_to(timezone.now(), tick=False)
    make_article(slug="later", published_at=timezone.now() + timedelta(minutes=5))
    pagecache.bump()


@pytest.fixture
def enabled(settings):
    settings.PAGE_CACHE_ENABLED = True


@pytest.mark.django_db
class TestPageCache:
    def test_it_serves_a_public_page_from_memory_until_content_changes(self, enabled):
        app = FakeApp()
        cached = PageCache(app)

        first = call(cached, environ("/briefs/x/"))
        second = call(cached, environ("/briefs/x/"))
        assert app.calls == 1
        assert second[2] == first[2] == b"render 1"
        assert second[1]["X-Page-Cache"] == "hit"

        pagecache.bump()
        assert call(cached, environ("/briefs/x/"))[2] == b"render 2"

    def test_query_strings_and_hosts_are_separate_pages(self, enabled):
        pages = [
            environ("/", query="page=2"),
            environ("/", query="page=3"),
            environ("/", HTTP_HOST="other.example"),
        ]
        assert renders(*pages) == 3

    @pytest.mark.parametrize(
        "headers",
        [
            [("Cache-Control", "private, no-store")],
            [("Cache-Control", "public"), ("Set-Cookie", "csrftoken=x")],
            [("Cache-Control", "public"), ("Vary", "Accept-Encoding, Cookie")],
            [("Content-Type", "text/html")],
        ],
    )
    def test_it_never_stores_private_or_cookie_bearing_responses(
        self, enabled, headers
    ):
        assert renders(environ(), environ(), app=FakeApp(headers=headers)) == 2

    def test_it_never_stores_errors_posts_or_the_admin(self, enabled):
        for app, env in [
            (FakeApp(status="404 Not Found"), environ()),
            (FakeApp(), environ(method="POST")),
            (FakeApp(), environ("/admin/articles/")),
            (FakeApp(), environ("/preview/abc/")),
        ]:
            assert renders(env, env, app=app) == 2, env

    def test_a_matching_etag_gets_304_without_a_body(self, enabled):
        cached = PageCache(FakeApp())
        _, headers, _ = call(cached, environ())
        status, _, body = call(cached, environ(HTTP_IF_NONE_MATCH=headers["ETag"]))
        assert status.startswith("304")
        assert body == b""

    def test_head_is_answered_from_the_get_entry_without_a_body(self, enabled):
        app = FakeApp()
        cached = PageCache(app)
        call(cached, environ())
        status, headers, body = call(cached, environ(method="HEAD"))
        assert (app.calls, body, headers["Content-Length"]) == (1, b"", "8")

    def test_memory_is_bounded(self, enabled):
        sizes = {f"/page/{n}/": 1000 for n in range(10)}
        cached = PageCache(FakeApp(sizes=sizes), max_bytes=4000)
        for path in sizes:
            call(cached, environ(path))
        # Each page is kept with its compressed copies, counted too.
        one = next(iter(cached.entries.values())).size
        assert len(cached.entries) == 4000 // one
        assert 4000 - one < cached.size <= 4000

    def test_tracking_parameters_share_the_page_without_them(self, enabled):
        app = FakeApp()
        cached = PageCache(app)
        call(cached, environ("/briefs/x/"))
        for n in range(500):
            query = f"utm_source=mail{n}&utm_medium=email&fbclid=F{n}&gclid=G{n}"
            status, headers, _ = call(cached, environ("/briefs/x/", query=query))
            assert headers["X-Page-Cache"] == "hit", query
        assert app.calls == 1
        assert len(cached.entries) == 1

    def test_other_parameters_stay_part_of_the_page(self, enabled):
        pages = [
            environ("/search/", query="q=port"),
            environ("/search/", query="q=port&utm_source=x"),
            environ("/search/", query="q=ships&utm_source=x"),
        ]
        assert renders(*pages) == 2

    def test_memory_is_bounded_by_bytes_least_recently_used_first(
        self, enabled, settings
    ):
        settings.PAGE_CACHE_MAX_BYTES = 10_000
        sizes = {"/a/": 4000, "/b/": 4000, "/c/": 4000, "/huge/": 20_000}
        app = FakeApp(sizes=sizes)
        cached = PageCache(app)
        call(cached, environ("/a/"))
        call(cached, environ("/b/"))
        call(cached, environ("/a/"))  # read again: /b/ is now the oldest
        call(cached, environ("/c/"))
        assert app.calls == 3
        # Probed in an order that evicts nothing before it is probed.
        probes = ["/a/", "/c/", "/b/", "/huge/", "/huge/"]
        hits = [call(cached, environ(p))[1].get("X-Page-Cache") for p in probes]
        assert hits == ["hit", "hit", None, None, None]
        # A page larger than the whole budget was served twice, never stored,
        # and evicted nothing: /b/ (stored again, evicting /a/) is still there.
        assert call(cached, environ("/b/"))[1].get("X-Page-Cache") == "hit"

    def test_it_is_off_when_disabled(self, settings):
        settings.PAGE_CACHE_ENABLED = False
        app = FakeApp()
        cached = PageCache(app)
        call(cached, environ())
        call(cached, environ())
        assert app.calls == 2

    def test_a_scheduled_brief_makes_pages_stale_when_its_time_comes(
        self, enabled, time_machine
    ):
        brief_due_in_five_minutes(time_machine)
        app = FakeApp()
        cached = PageCache(app)
        call(cached, environ())
        call(cached, environ())
        assert app.calls == 1

        time_machine.shift(timedelta(minutes=6))
        call(cached, environ())
        assert app.calls == 2


def refuse_queries(execute, sql, params, many, context):
    # Stands in for a database that dropped (connection.execute_wrapper).
    raise OperationalError("server closed the connection unexpectedly")


@pytest.mark.django_db
class TestWithoutTheDatabase:
    def test_a_bump_still_makes_pages_stale_for_a_short_while(self, enabled):
        app = FakeApp()
        cached = PageCache(app)
        call(cached, environ())
        with connection.execute_wrapper(refuse_queries):
            version = pagecache.bump()
        assert version.valid_until <= time.time() + 60
        assert call(cached, environ())[2] == b"render 2"

    def test_an_expired_version_keeps_serving_cached_pages(self, enabled, time_machine):
        brief_due_in_five_minutes(time_machine)
        app = FakeApp()
        cached = PageCache(app)
        call(cached, environ())
        time_machine.shift(timedelta(minutes=6))
        # The brief's time has come, but nothing can be rendered: the pages
        # readers have are better than an error.
        with connection.execute_wrapper(refuse_queries):
            status, headers, _ = call(cached, environ())
        assert (status, headers["X-Page-Cache"], app.calls) == ("200 OK", "hit", 1)
        # Asked again once the short while is over, and the database is back.
        time_machine.shift(timedelta(minutes=1))
        assert call(cached, environ())[2] == b"render 2"


class FileVersionStoreTests(TestCase):
    def test_every_write_is_seen_by_a_second_reader(self):
        import tempfile

        directory = Path(tempfile.mkdtemp())
        writer = FileVersionStore(directory / "v")
        reader = FileVersionStore(directory / "v")
        seen = set()
        for _ in range(50):
            written = writer.write(float("inf"))
            read = reader.read()
            self.assertEqual(read, written)
            seen.add(read.stamp)
        self.assertEqual(len(seen), 50)

    def test_a_missing_or_garbled_file_reads_as_no_version(self):
        import tempfile

        path = Path(tempfile.mkdtemp()) / "v"
        self.assertIsNone(FileVersionStore(path).read())
        path.write_text("garbage")
        self.assertIsNone(FileVersionStore(path).read())

    def test_a_version_is_current_until_the_next_publication(self):
        version = Version(1, time.time() + 60)
        self.assertIs(version.current(time.time()), True)
        self.assertIs(version.current(time.time() + 61), False)


class InvalidationTests(TransactionTestCase):
    """Every change a reader could see invalidates keys, once, after commit."""

    def assert_invalidates(self, change):
        with mock.patch.object(
            pagecache, "invalidate", wraps=pagecache.invalidate
        ) as invalidate:
            with transaction.atomic():
                change()
                self.assertEqual(invalidate.call_count, 0, "before the commit")
        self.assertEqual(invalidate.call_count, 1)
        return set(invalidate.call_args.args[0])

    def test_publishing_editing_and_unpublishing_invalidate(self):
        article = make_article(status=Article.Status.DRAFT)
        self.assertIn(f"brief-{article.pk}", self.assert_invalidates(article.publish))

        def edit():
            article.headline = "New words"
            article.save()

        self.assertIn(f"brief-{article.pk}", self.assert_invalidates(edit))

        def unpublish():
            article.status = Article.Status.UNPUBLISHED
            article.save()

        self.assertIn("list-home", self.assert_invalidates(unpublish))

    def test_a_whole_brief_saved_at_once_invalidates_once(self):
        self.assert_invalidates(lambda: make_brief(sections=5, bullets=4))

    def test_renaming_an_author_category_or_topic_invalidates_its_key(self):
        author, category, topic = make_author(), make_category(), make_topic()
        for obj, key in [
            (author, f"author-{author.pk}"),
            (category, f"category-{category.pk}"),
            (topic, f"topic-{topic.pk}"),
        ]:
            obj.name = "Renamed"
            self.assertIn(key, self.assert_invalidates(obj.save))

    def test_changing_topics_of_a_brief_invalidates_the_topic_list(self):
        article, topic = make_article(), make_topic()
        keys = self.assert_invalidates(lambda: article.topics.add(topic))
        self.assertIn(f"list-topic-{topic.pk}", keys)

    def test_a_rolled_back_change_invalidates_nothing(self):
        with mock.patch.object(pagecache, "invalidate") as invalidate:
            with self.assertRaises(RuntimeError), transaction.atomic():
                make_article()
                raise RuntimeError
        invalidate.assert_not_called()

    def test_rows_readers_never_see_invalidate_nothing(self):
        from django.contrib.auth import get_user_model

        with mock.patch.object(pagecache, "invalidate") as invalidate:
            get_user_model().objects.create(username="someone")
            make_article(status=Article.Status.DRAFT)
        invalidate.assert_not_called()


@override_settings(
    PAGE_CACHE_ENABLED=True,
    ALLOWED_HOSTS=["news.example"],
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=3600,
)
class SecurityThroughTheCacheTests(TransactionTestCase):
    """The page cache answers before Django's middleware: it must not skip it."""

    def setUp(self):
        # As newsroom/wsgi.py builds it, under this test's settings.
        self.app = PageCache(WSGIHandler())
        make_category(name="World", slug="world")

    def assert_cached(self, path, **kwargs):
        wsgi_get(self.app, path, **kwargs)
        status, headers, _ = wsgi_get(self.app, path, **kwargs)
        self.assertEqual((status, headers.get("X-Page-Cache")), ("200 OK", "hit"))

    def test_the_production_application_is_the_page_cache_around_django(self):
        from newsletter.views_tracking import TrackingFastPath
        from newsroom.wsgi import application

        # Behind the newsletter's click and pixel answers (they come first).
        self.assertIsInstance(application, TrackingFastPath)
        self.assertIsInstance(application.app, PageCache)
        self.assertIsInstance(application.app.app, WSGIHandler)

    def test_http_gets_the_redirect_even_when_the_https_page_is_cached(self):
        self.assert_cached("/category/world/")
        status, headers, _ = wsgi_get(self.app, "/category/world/", scheme="http")
        self.assertEqual(status, "301 Moved Permanently")
        self.assertEqual(headers["Location"], "https://news.example/category/world/")

    @override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
    def test_behind_a_proxy_the_forwarded_scheme_decides(self):
        self.app = PageCache(WSGIHandler())
        self.assert_cached("/", scheme="http", HTTP_X_FORWARDED_PROTO="https")
        status, headers, _ = wsgi_get(
            self.app, "/", scheme="http", HTTP_X_FORWARDED_PROTO="http"
        )
        self.assertEqual(status, "301 Moved Permanently")
        self.assertEqual(headers["Location"], "https://news.example/")

    @override_settings(SECURE_SSL_REDIRECT=False)
    def test_http_and_https_are_separate_pages(self):
        self.app = PageCache(WSGIHandler())
        self.assert_cached("/category/world/")
        _, headers, _ = wsgi_get(self.app, "/category/world/", scheme="http")
        # HSTS belongs to the https answer only (Django adds it to secure requests).
        self.assertNotIn("Strict-Transport-Security", headers)

    def test_a_host_django_rejects_is_never_answered_from_the_cache(self):
        self.assert_cached("/search/", query="q=a|/x|")
        # Host, path and query joined with "|" made this the same key.
        status, headers, _ = wsgi_get(
            self.app, "/x", host="news.example|/search/|q=a", query=""
        )
        self.assertEqual(status, "400 Bad Request")
        self.assertNotIn("X-Page-Cache", headers)

    def test_an_unknown_host_gets_djangos_400(self):
        self.assert_cached("/category/world/")
        status, _, _ = wsgi_get(self.app, "/category/world/", host="evil.example")
        self.assertEqual(status, "400 Bad Request")
