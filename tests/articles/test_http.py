import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import time_machine
from django.conf import settings
from django.db import connection
from django.test import SimpleTestCase, TestCase, TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from tests.factories import make_article, make_user
from tests.helpers import world_trade_ada

PUBLIC_PAGES = [
    "/",
    "/briefs/cached/",
    "/category/world/",
    "/topic/trade/",
    "/search/?q=cached",
    "/archive/",
    "/feed/",
    "/feed/atom/",
    "/sitemap.xml",
    "/sitemap-news.xml",
    "/robots.txt",
]


def directives(response) -> set[str]:
    return {part.strip() for part in response["Cache-Control"].split(",")}


class ConditionalGetTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world, cls.trade, _ = world_trade_ada()
        cls.article = make_article(
            headline="Cached brief",
            slug="cached",
            category=cls.world,
            topics=[cls.trade],
        )

    def test_public_pages_are_cacheable_by_a_cdn_with_validators(self):
        for url in PUBLIC_PAGES:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(
                    directives(response),
                    {
                        "public",
                        f"max-age={settings.PAGE_CACHE_SECONDS}",
                        f"s-maxage={settings.PAGE_CACHE_SHARED_SECONDS}",
                    },
                )
                self.assertTrue(response["ETag"].startswith('W/"'))
                self.assertIn("GMT", response["Last-Modified"])

    def test_a_matching_etag_gets_a_304_without_touching_the_database(self):
        for url in PUBLIC_PAGES:
            with self.subTest(url=url):
                etag = self.client.get(url)["ETag"]
                with CaptureQueriesContext(connection) as ctx:
                    response = self.client.get(url, HTTP_IF_NONE_MATCH=etag)
                self.assertEqual(response.status_code, 304)
                self.assertEqual(response.content, b"")
                self.assertEqual(response["ETag"], etag)
                self.assertIn("public", directives(response))
                self.assertEqual(ctx.captured_queries, [])

    def test_if_modified_since_gets_a_304(self):
        last_modified = self.client.get("/")["Last-Modified"]
        response = self.client.get("/", HTTP_IF_MODIFIED_SINCE=last_modified)
        self.assertEqual(response.status_code, 304)

    def test_missing_pages_errors_and_private_pages_are_not_stored(self):
        for url in ["/briefs/nope/", "/category/nope/", "/feed/nope/"]:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 404)
                self.assertLessEqual({"private", "no-store"}, directives(response))
        draft = make_article(slug="draft", status=Article.Status.DRAFT)
        self.client.force_login(make_user("ed", superuser=True))
        for url in [
            "/admin/",
            f"/admin/articles/article/{draft.pk}/change/",
            f"/admin/articles/article/{draft.pk}/preview/",
        ]:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200, url)
                self.assertIn("private", directives(response))
                self.assertIn("no-store", directives(response))

    def test_a_response_that_sets_a_cookie_is_never_public(self):
        from django.http import HttpResponse
        from django.test import RequestFactory

        from articles.http import CacheControlMiddleware, public_page

        @public_page
        def view(request):
            response = HttpResponse("hi")
            response.set_cookie("session", "secret")
            return response

        response = CacheControlMiddleware(view)(RequestFactory().get("/"))
        self.assertNotIn("public", directives(response))
        self.assertLessEqual({"private", "no-store"}, directives(response))


class InvalidationTests(TransactionTestCase):
    """Real commits: validators change only once a change is committed."""

    def setUp(self):
        self.article = make_article(headline="Cached brief", slug="cached")

    def test_an_edit_changes_the_validators(self):
        before = self.client.get("/briefs/cached/")["ETag"]
        self.article.headline = "Cached brief, corrected"
        self.article.save()
        response = self.client.get("/briefs/cached/", HTTP_IF_NONE_MATCH=before)
        self.assertEqual(response.status_code, 200)
        self.assertNotEqual(response["ETag"], before)
        self.assertContains(response, "Cached brief, corrected")

    def test_a_scheduled_brief_going_live_changes_the_validators(self):
        later = timezone.now() + timedelta(hours=1)
        make_article(headline="Embargoed", slug="embargoed", published_at=later)
        etag = self.client.get("/")["ETag"]
        self.assertEqual(self.client.get("/", HTTP_IF_NONE_MATCH=etag).status_code, 304)
        with time_machine.travel(later + timedelta(seconds=1)):
            # No save announces it: the clock passing the time does.
            response = self.client.get("/", HTTP_IF_NONE_MATCH=etag)
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, "Embargoed")


class ReleaseTests(SimpleTestCase):
    def test_the_release_changes_with_the_templates(self):
        from articles import http

        http.release.cache_clear()
        before = http.release()
        template = Path(settings.BASE_DIR) / "templates" / "zz-release-probe.html"
        try:
            template.write_text(f"{time.time()}")
            http.release.cache_clear()
            self.assertNotEqual(http.release(), before)
        finally:
            template.unlink()
            http.release.cache_clear()
        self.assertEqual(http.release(), before)


class StaticFilesTests(SimpleTestCase):
    def test_collectstatic_writes_compressed_fingerprinted_files(self):
        import tempfile

        with tempfile.TemporaryDirectory() as root:
            env = {
                "DEBUG": "0",
                "SECRET_KEY": "collectstatic-test-key-" + "x" * 40,
                "ALLOWED_HOSTS": "example.com",
                "PATH": "/usr/bin:/bin",
            }
            code = (
                "import django, os; django.setup();"
                "from django.conf import settings;"
                f"settings.STATIC_ROOT = {root!r};"
                "from django.core.management import call_command;"
                "call_command('collectstatic', '--noinput', verbosity=0);"
                "from django.templatetags.static import static;"
                "print(static('css/site.css'))"
            )
            result = subprocess.run(
                [sys.executable, "-c", code],
                cwd=settings.BASE_DIR,
                env={**env, "DJANGO_SETTINGS_MODULE": "newsroom.settings"},
                capture_output=True,
                text=True,
                timeout=300,
            )
            self.assertEqual(result.returncode, 0, result.stderr)
            url = result.stdout.strip().splitlines()[-1]
            self.assertRegex(url, r"^/static/css/site\.[0-9a-f]{12}\.css$")
            hashed = Path(root) / url.removeprefix("/static/")
            self.assertTrue(hashed.exists())
            self.assertTrue(hashed.with_name(hashed.name + ".gz").exists())
            self.assertTrue((Path(root) / "staticfiles.json").exists())
