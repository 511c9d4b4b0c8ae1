"""The page chrome (articles/chrome.py) is rendered once per navigation and
process, and never outlives a public change of the categories it shows.

The page cache is off here: every request renders its page, so only the
chrome's own memory could keep an old name.
"""

import re

from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext

from articles.models import Category
from newsroom import pagecache, surrogate
from tests.factories import make_category
from tests.helpers import reader_get


def header(html: str) -> str:
    return re.search(r'<header class="site-header">.*?</header>', html, re.S).group(0)


def nav_names(html: str) -> list[str]:
    return re.findall(r"<li><a [^>]*>([^<]+)</a></li>", header(html))


def current_links(html: str) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]+)"[^>]* aria-current="page"', header(html))


@override_settings(PAGE_CACHE_ENABLED=False, ALLOWED_HOSTS=["testserver"])
class ChromeTests(TransactionTestCase):
    def setUp(self):
        self.app = WSGIHandler()
        self.harbours = make_category(name="Harbours", slug="harbours")

    def get(self, path):
        status, body, _ = reader_get(self.app, path)
        self.assertEqual(status, "200 OK", path)
        return body

    def test_renaming_a_category_shows_the_new_name_on_the_next_page(self):
        self.assertEqual(nav_names(self.get("/")), ["Harbours"])
        self.harbours.name = "Ports"
        self.harbours.save()  # commits, then invalidates `nav`
        self.assertEqual(nav_names(self.get("/search/")), ["Ports"])

    def test_a_new_category_appears_on_the_next_page(self):
        self.get("/")
        make_category(name="Rail", slug="rail")
        self.assertEqual(nav_names(self.get("/")), ["Harbours", "Rail"])

    def test_the_chrome_is_reused_until_the_navigation_is_invalidated(self):
        self.get("/")
        # Written around the signals: nothing invalidated, so the chrome
        # rendered before is reused, without asking for the categories.
        Category.objects.filter(pk=self.harbours.pk).update(name="Ports")
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(nav_names(self.get("/search/")), ["Harbours"])
        self.assertFalse(
            [q for q in queries.captured_queries if "articles_category" in q["sql"]]
        )
        pagecache.invalidate({surrogate.NAV})
        self.assertEqual(nav_names(self.get("/search/")), ["Ports"])

    def test_emptying_every_cache_renders_it_again(self):
        self.get("/")
        Category.objects.filter(pk=self.harbours.pk).update(name="Ports")
        pagecache.bump()
        self.assertEqual(nav_names(self.get("/")), ["Ports"])

    def test_the_header_marks_the_page_it_links_to_as_current(self):
        self.assertEqual(current_links(self.get("/")), [])
        self.assertEqual(
            current_links(self.get("/category/harbours/")), ["/category/harbours/"]
        )
        self.assertEqual(current_links(self.get("/search/")), ["/search/"])
        self.assertEqual(current_links(self.get("/")), [])

    def test_the_signup_form_comes_back_to_the_page_with_its_path_escaped(self):
        self.assertIn('name="next" value="/search/"', self.get("/search/"))
        status, body, _ = reader_get(self.app, '/no-such-page/"a&b"/')
        self.assertEqual(status, "404 Not Found")
        self.assertIn('name="next" value="/no-such-page/&#34;a&amp;b&#34;/"', body)
