"""Compressed pages: made once per render, chosen per request by Accept-Encoding."""

import gzip
from unittest import mock

import brotli
import pytest

from newsroom import compression
from newsroom.pagecache import PageCache
from tests.helpers import call
from tests.newsroom.test_pagecache import FakeApp, environ

SIZES = {"/": 4000}


@pytest.fixture
def enabled(settings):
    settings.PAGE_CACHE_ENABLED = True


def vary(headers) -> set[str]:
    return {v.strip().lower() for v in headers.get("Vary", "").split(",")}


@pytest.mark.django_db
class TestCompressedPages:
    def test_a_page_is_served_as_brotli_gzip_or_plain_as_the_reader_accepts(
        self, enabled
    ):
        cached = PageCache(FakeApp(sizes=SIZES))
        _, _, plain = call(cached, environ())
        for accept, encoding, decode in [
            ("gzip, deflate, br", "br", brotli.decompress),
            ("gzip, deflate", "gzip", gzip.decompress),
            ("br;q=0, gzip", "gzip", gzip.decompress),
            ("", None, bytes),
            ("gzip;q=0, br;q=0", None, bytes),
        ]:
            _, headers, body = call(cached, environ(HTTP_ACCEPT_ENCODING=accept))
            assert headers.get("Content-Encoding") == encoding, accept
            assert decode(body) == plain
            assert int(headers["Content-Length"]) == len(body)
            assert "accept-encoding" in vary(headers)
            assert headers["X-Page-Cache"] == "hit"

    def test_the_first_answer_is_compressed_too(self, enabled):
        cached = PageCache(FakeApp(sizes=SIZES))
        _, headers, body = call(cached, environ(HTTP_ACCEPT_ENCODING="gzip"))
        assert "X-Page-Cache" not in headers
        assert headers["Content-Encoding"] == "gzip"
        assert len(gzip.decompress(body)) == 4000

    def test_a_hit_does_no_compression_work(self, enabled):
        cached = PageCache(FakeApp(sizes=SIZES))
        with mock.patch.object(
            compression, "encode", wraps=compression.encode
        ) as encode:
            for _ in range(5):
                call(cached, environ(HTTP_ACCEPT_ENCODING="br, gzip"))
        assert encode.call_count == 1

    def test_a_head_request_gives_the_length_of_the_copy_it_would_send(self, enabled):
        cached = PageCache(FakeApp(sizes=SIZES))
        _, _, body = call(cached, environ(HTTP_ACCEPT_ENCODING="gzip"))
        _, headers, empty = call(
            cached, environ(method="HEAD", HTTP_ACCEPT_ENCODING="gzip")
        )
        assert (empty, int(headers["Content-Length"])) == (b"", len(body))

    def test_private_answers_are_never_compressed(self, enabled):
        # BREACH: they may carry a CSRF token or a reader's own data.
        app = FakeApp(
            sizes=SIZES,
            headers=[("Content-Type", "text/html"), ("Cache-Control", "private")],
        )
        _, headers, body = call(PageCache(app), environ(HTTP_ACCEPT_ENCODING="gzip"))
        assert "Content-Encoding" not in headers
        assert len(body) == 4000

    def test_small_or_binary_answers_are_sent_as_they_are(self, enabled):
        tiny = PageCache(FakeApp())
        assert (
            "Content-Encoding"
            not in call(tiny, environ(HTTP_ACCEPT_ENCODING="gzip"))[1]
        )
        image = PageCache(
            FakeApp(
                sizes=SIZES,
                headers=[("Content-Type", "image/png"), ("Cache-Control", "public")],
            )
        )
        assert (
            "Content-Encoding"
            not in call(image, environ(HTTP_ACCEPT_ENCODING="gzip"))[1]
        )


class TestChoose:
    def test_the_best_accepted_copy_wins(self):
        assert compression.choose("gzip, br", ["br", "gzip"]) == "br"
        assert compression.choose("*", ["br", "gzip"]) == "br"
        assert compression.choose("*;q=0, gzip", ["br", "gzip"]) == "gzip"
        assert compression.choose("identity", ["br", "gzip"]) is None
        assert compression.choose("gzip;q=nonsense", ["gzip"]) is None

    def test_vary_gets_accept_encoding_once(self):
        assert compression.vary_with_encoding([("Vary", "Cookie")]) == [
            ("Vary", "Cookie, Accept-Encoding")
        ]
        assert compression.vary_with_encoding([("Vary", "Accept-Encoding")]) == [
            ("Vary", "Accept-Encoding")
        ]
