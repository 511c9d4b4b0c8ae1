"""Pages shared by the web processes through Django's cache (PAGE_CACHE_SHARED).

Two PageCache instances stand in for two gunicorn workers: the test settings'
locmem cache is the cache they share.
"""

from unittest import mock

import pytest
from django.core.cache import cache

from newsroom import pagecache
from newsroom.env import cache_is_shared, parse_cache_url
from newsroom.pagecache import PageCache
from tests.newsroom.test_pagecache import FakeApp, call, environ

KEYED = [
    ("Content-Type", "text/html"),
    ("Cache-Control", "public, max-age=60"),
    ("Surrogate-Key", "brief-1 list-home site"),
]


@pytest.fixture
def shared(settings):
    settings.PAGE_CACHE_ENABLED = True
    settings.PAGE_CACHE_SHARED = True
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
class TestSharedPages:
    def test_a_page_one_process_rendered_is_served_by_another_without_rendering(
        self, shared
    ):
        one, other = FakeApp(headers=KEYED), FakeApp(headers=KEYED)
        _, _, rendered = call(PageCache(one), environ("/briefs/x/"))
        _, headers, served = call(PageCache(other), environ("/briefs/x/"))
        assert (one.calls, other.calls) == (1, 0)
        assert served == rendered
        assert headers["X-Page-Cache"] == "hit"

    def test_the_shared_copy_is_compressed_once_for_every_process(self, shared):
        body = {"/": 4000}
        call(PageCache(FakeApp(headers=KEYED, sizes=body)), environ())
        other = FakeApp(headers=KEYED, sizes=body)
        _, headers, _ = call(PageCache(other), environ(HTTP_ACCEPT_ENCODING="gzip, br"))
        assert (other.calls, headers["Content-Encoding"]) == (0, "br")

    def test_an_invalidation_of_what_it_shows_makes_the_shared_copy_stale(self, shared):
        call(PageCache(FakeApp(headers=KEYED)), environ("/briefs/x/"))
        pagecache.invalidate({"brief-2"})  # not on the page
        untouched = FakeApp(headers=KEYED)
        call(PageCache(untouched), environ("/briefs/x/"))
        pagecache.invalidate({"brief-1"})
        touched = FakeApp(headers=KEYED)
        _, headers, body = call(PageCache(touched), environ("/briefs/x/"))
        assert (untouched.calls, touched.calls) == (0, 1)
        assert "X-Page-Cache" not in headers
        assert body == b"render 1"

    def test_a_copy_rendered_before_an_invalidation_it_raced_is_never_shared_as_fresh(
        self, shared
    ):
        class RacingApp(FakeApp):
            # The change commits while this process renders the old rows.
            def __call__(self, environ, start_response):
                body = super().__call__(environ, start_response)
                pagecache.invalidate({"brief-1"})
                return body

        call(PageCache(RacingApp(headers=KEYED)), environ("/briefs/x/"))
        other = FakeApp(headers=KEYED)
        call(PageCache(other), environ("/briefs/x/"))
        assert other.calls == 1

    def test_a_shared_cache_that_fails_leaves_pages_rendered(self, shared):
        app = FakeApp(headers=KEYED)
        with (
            mock.patch.object(cache, "get", side_effect=ConnectionError("down")),
            mock.patch.object(cache, "set", side_effect=ConnectionError("down")),
        ):
            status, _, body = call(PageCache(app), environ("/briefs/x/"))
        assert (status, body, app.calls) == ("200 OK", b"render 1", 1)

    def test_private_pages_are_never_shared(self, shared):
        private = [("Content-Type", "text/html"), ("Cache-Control", "private")]
        call(PageCache(FakeApp(headers=private)), environ("/briefs/x/"))
        other = FakeApp(headers=private)
        call(PageCache(other), environ("/briefs/x/"))
        assert other.calls == 1


def test_processes_share_pages_only_through_a_cache_they_share():
    # What settings.py decides from CACHE_URL when PAGE_CACHE_SHARED is unset.
    for url, expected in [
        ("locmem://newsroom", False),
        ("dummy://", False),
        ("redis://127.0.0.1:6379/1", True),
        ("file:///tmp/newsroom-cache", True),
    ]:
        assert cache_is_shared(parse_cache_url(url)) is expected, url
