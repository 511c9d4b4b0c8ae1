"""Every public URL, with hostile values in each of its parameters and in its
query string, answers without a server error (404, 400 or 200 are all fine).

PostgreSQL refuses a NUL character in text outright, so a value that SQLite
merely fails to match can be a 500 there: run this module on both
(`DATABASE_URL=postgres://… pytest tests/newsroom/test_urls.py`).
"""

import importlib.util
import re
from datetime import timedelta
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.db import transaction
from django.test import TestCase, override_settings
from django.utils import timezone

from articles.models import PreviewLink
from newsletter import tokens
from tests.factories import (
    make_article,
    make_filed_brief,
)
from tests.newsletter.factories import make_edition, make_newsletter, make_subscriber
from tests.newsroom.test_csrf import walk

# Not public: the admin's own pages need a login.
PRIVATE = ("admin/",)

# Already URL-encoded, as a scanner or an attacker would send them.
HOSTILE = [
    "%00",
    "ports%00",
    "%00%00%00x",
    "%25%30%30",  # an encoded "%00", decoded once
    "%C0%80",  # an overlong NUL: invalid UTF-8
    "%FF%FE%FD",
    "%ED%A0%80",  # a lone surrogate, encoded
    "%EF%BF%BF",
    "%F0%9F%92%A5",
    "-" * 64,
    "a" * 2100,
    "%27%22%3C%3E%5C%3B",
    "..%2F..%2Fetc%2Fpasswd",
    "%0D%0ASet-Cookie:%20x=1",
    "%09%0B%0C%20",
]
# Only digits reach an <int:…> parameter; these are the ones that hurt.
HOSTILE_INTS = [
    "0",
    "000000",
    "2147483648",
    "9223372036854775808",
    "9" * 30,
    "9" * 400,
]
QUERY_NAMES = ["q", "page", "next", "saved", "utm_source", "x"]
HEADERS = [
    "If-None-Match",
    "If-Modified-Since",
    "Accept",
    "Accept-Language",
    "Accept-Encoding",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "Referer",
    "Origin",
    "User-Agent",
]
# The shapes that reach header parsing differently (the others add time only).
HEADER_SHAPES = ["%00", "ports%00", "%C0%80", "%FF%FE%FD", "a" * 2100, "9" * 30, ""]
FORM_NAMES = ["email", "newsletters", "source", "next", "website", "List-Unsubscribe"]
HOSTILE_QUERY = [*HOSTILE, "-1", "9" * 30, "1e9", "NaN", "last", ""]

CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def development_urlconf():
    """newsroom/urls.py as DEBUG builds it (with /media/), as its own module.

    The URLconf is read once, with whatever DEBUG was then; the routes under
    test must not depend on that.
    """
    spec = importlib.util.find_spec("newsroom.urls")
    module = importlib.util.module_from_spec(spec)
    with override_settings(DEBUG=True):
        spec.loader.exec_module(module)
    return module


def public_routes(urlconf) -> list[str]:
    routes = walk(urlconf.urlpatterns)
    return [route for route, _, _ in routes if not route.startswith(PRIVATE)]


def parameters(route: str) -> list[tuple[str, str]]:
    """[(name, converter)] of a route, path() or re_path() style."""
    found = []
    for match in CONVERTER.finditer(route):
        if match.group(3):
            found.append((match.group(3), "regex"))
        else:
            found.append((match.group(2), match.group(1) or "str"))
    return found


def fill(route: str, values: dict[str, str]) -> str:
    def value(match):
        return values[match.group(2) or match.group(3)]

    path = CONVERTER.sub(value, route)
    # A re_path() route: drop its anchors and escapes.
    path = path.removeprefix("^").removesuffix("$").replace("\\", "")
    return "/" + path


class HostileUrlTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.urlconf = development_urlconf()
        cls.urlconf_override = override_settings(ROOT_URLCONF=cls.urlconf)
        cls.urlconf_override.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.urlconf_override.disable()

    @classmethod
    def setUpTestData(cls):
        published = timezone.now() - timedelta(days=1)
        brief = make_filed_brief(slug="ports", published_at=published)
        draft = make_article(slug="draft", status="draft")
        preview = PreviewLink.objects.create(article=draft)
        daily = make_newsletter(slug="daily-test", is_public=True)
        edition = make_edition(daily, briefs=[brief])
        reader = make_subscriber(newsletters=[daily])
        day = timezone.localtime(published)
        # A valid value for each parameter, by the route's first segment, so
        # one parameter at a time is hostile and the others lead somewhere.
        cls.valid = {
            "briefs": {"slug": "ports"},
            "category": {"slug": "world"},
            "topic": {"slug": "trade"},
            "author": {"slug": "ana"},
            "preview": {"token": preview.token},
            "archive": {
                "year": str(day.year),
                "month": str(day.month),
                "day": str(day.day),
            },
            "sitemap-<slug:section>.xml": {"section": "briefs"},
            "newsletter": {"slug": daily.slug, "pk": str(edition.pk)},
            "newsletter/confirm": {"token": tokens.confirmation_token(reader.pk)},
            "newsletter/preferences": {"token": tokens.preferences_token(reader.pk)},
            "u": {"token": tokens.unsubscribe_token(reader.pk, daily.pk)},
            "^media": {"path": "nothing-here.png"},
        }

    def valid_values(self, route: str) -> dict[str, str]:
        first, _, rest = route.partition("/")
        second = rest.partition("/")[0]
        known = {
            **self.valid.get(first, {}),
            **self.valid.get(route, {}),
            **self.valid.get(f"{first}/{second}", {}),
        }
        return {
            name: known.get(name, "1" if converter == "int" else "x")
            for name, converter in parameters(route)
        }

    def problem(self, method: str, url: str, **kwargs) -> str | None:
        """What went wrong with one request, or None if it did not fail."""
        try:
            # A failed query must not poison the test's transaction on
            # PostgreSQL: each request gets a savepoint.
            with transaction.atomic():
                response = getattr(self.client, method)(url, **kwargs)
        except Exception as error:  # every failure is reported, then the next
            return f"{method.upper()} {url[:120]}: {type(error).__name__}: {error}"
        if response.status_code >= 500:
            return f"{method.upper()} {url[:120]}: {response.status_code}"
        return None

    def assertNoServerErrors(self, problems):
        problems = [p for p in problems if p]
        if problems:
            self.fail(f"{len(problems)} server errors:\n" + "\n".join(problems[:40]))

    def test_the_routes_under_test_include_every_kind_of_parameter(self):
        kinds = {
            kind
            for route in public_routes(self.urlconf)
            for _, kind in parameters(route)
        }
        self.assertLessEqual({"str", "slug", "int"}, kinds)
        names = {
            name
            for route in public_routes(self.urlconf)
            for name, _ in parameters(route)
        }
        self.assertLessEqual(
            {"token", "slug", "year", "month", "day", "pk", "path"}, names
        )

    def test_hostile_values_in_every_path_parameter_are_never_a_server_error(self):
        problems = []
        for route in public_routes(self.urlconf):
            valid = self.valid_values(route)
            for name, converter in parameters(route):
                shapes = HOSTILE_INTS + HOSTILE if converter == "int" else HOSTILE
                for shape in shapes:
                    url = fill(route, {**valid, name: shape})
                    problems.append(self.problem("get", url))
                    if converter in ("str", "regex"):
                        # Token pages act on POST: the token is read there too.
                        problems.append(
                            self.problem("post", url, data={"newsletters": "1"})
                        )
        self.assertNoServerErrors(problems)

    def test_hostile_query_strings_on_every_public_url_are_never_a_server_error(
        self,
    ):
        problems = []
        for route in public_routes(self.urlconf):
            path = fill(route, self.valid_values(route))
            for shape in HOSTILE_QUERY:
                query = "&".join(f"{name}={shape}" for name in QUERY_NAMES)
                problems.append(self.problem("get", f"{path}?{query}"))
            # The same name twice, a valid value then a hostile one.
            problems.append(self.problem("get", f"{path}?page=1&page=%00&q=a&q=%00"))
        self.assertNoServerErrors(problems)

    def test_hostile_form_fields_posted_to_every_public_url_are_never_a_server_error(
        self,
    ):
        unlimited = {"SIGNUPS_PER_IP_PER_HOUR": 0, "SIGNUPS_PER_ADDRESS_PER_HOUR": 0}
        problems = []
        with self.settings(NEWSLETTER={**settings.NEWSLETTER, **unlimited}):
            for route in public_routes(self.urlconf):
                path = fill(route, self.valid_values(route))
                for shape in HOSTILE_QUERY:
                    # Raw, as sent: the test client would refuse to encode some.
                    body = "&".join(f"{name}={shape}" for name in FORM_NAMES)
                    problems.append(
                        self.problem(
                            "post",
                            path,
                            data=body,
                            content_type="application/x-www-form-urlencoded",
                        )
                    )
        self.assertNoServerErrors(problems)

    def test_hostile_request_headers_and_cookies_are_never_a_server_error(self):
        problems = []
        for route in public_routes(self.urlconf):
            path = fill(route, self.valid_values(route))
            for shape in HEADER_SHAPES:
                # A WSGI server hands headers over as Latin-1 text.
                value = unquote_to_bytes(shape).decode("latin-1")
                self.client.cookies.load(
                    {"sessionid": f"abcdefgh{value}", "csrftoken": value}
                )
                headers = dict.fromkeys(HEADERS, value)
                problems.append(self.problem("get", path, headers=headers))
        self.assertNoServerErrors(problems)
