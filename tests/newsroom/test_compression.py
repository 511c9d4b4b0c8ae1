"""Compressed pages: made once per render, chosen per request by Accept-Encoding."""

import gzip
from unittest import mock

import brotli
import pytest

from newsroom import compression, pagecache
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

    def test_later_hits_give_each_accept_encoding_its_own_copy_again(self, enabled):
        # A hit's reply is remembered per Accept-Encoding (Entry.reply):
        # asked in another order, each still gets its own copy.
        cached = PageCache(FakeApp(sizes=SIZES))
        _, _, plain = call(cached, environ())
        cases = [("br", "br"), ("", None), ("gzip", "gzip"), ("br;q=0, gzip", "gzip")]
        for accept, encoding in cases + cases[::-1] + cases:
            _, headers, body = call(cached, environ(HTTP_ACCEPT_ENCODING=accept))
            assert headers.get("Content-Encoding") == encoding, accept
            assert int(headers["Content-Length"]) == len(body)
            decode = {"br": brotli.decompress, "gzip": gzip.decompress}
            assert decode.get(encoding, bytes)(body) == plain

    def test_a_page_rendered_again_is_not_answered_with_the_old_pages_replies(
        self, enabled
    ):
        cached = PageCache(FakeApp(sizes=SIZES))
        for _ in range(3):
            _, _, body = call(cached, environ(HTTP_ACCEPT_ENCODING="gzip"))
        assert gzip.decompress(body).startswith(b"render 1.")
        pagecache.bump()
        _, headers, body = call(cached, environ(HTTP_ACCEPT_ENCODING="gzip"))
        assert "X-Page-Cache" not in headers
        _, headers, body = call(cached, environ(HTTP_ACCEPT_ENCODING="gzip"))
        assert headers["X-Page-Cache"] == "hit"
        assert gzip.decompress(body).startswith(b"render 2.")

    def test_made_up_accept_encodings_do_not_grow_what_a_page_remembers(self, enabled):
        cached = PageCache(FakeApp(sizes=SIZES))
        for n in range(3 * pagecache._MAX_REPLIES):
            accept = f"gzip, x-made-up-{n}"
            _, headers, body = call(cached, environ(HTTP_ACCEPT_ENCODING=accept))
            assert headers["Content-Encoding"] == "gzip"
        (entry,) = cached.entries.values()
        assert len(entry.replies) == pagecache._MAX_REPLIES

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
