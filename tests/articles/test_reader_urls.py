"""Whatever URL or query string a reader (or a scanner) sends: never a 500
(property tests over every route of the reader site)."""

import re
from datetime import timedelta
from urllib.parse import quote, quote_from_bytes

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from tests.factories import make_filed_brief


# Reader URLs for the property tests: every route of the reader site, with
# generated values for its parameters.
def reader_routes():
    from tests.newsroom.test_csrf import walk

    routes = []
    for route, _name, _ in walk():
        if route.startswith(("admin/", "_nested_admin/", "newsletter/", "u/")):
            continue
        routes.append(route)
    return routes


CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
values = st.one_of(
    texts,
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["0", "1", "2", "-1", "last", "9999999", "1e9", "NaN", "", "%00"]),
    st.binary(max_size=20).map(lambda b: quote_from_bytes(b)),
)


@st.composite
def reader_urls(draw, routes, known):
    route = draw(st.sampled_from(routes))

    def fill(match):
        converter = match.group(1) or "str"
        if converter == "int":
            return str(draw(st.integers(min_value=0, max_value=10**12)))
        if draw(st.booleans()):
            return draw(st.sampled_from(known))
        return quote(draw(texts), safe="") or "x"

    path = "/" + CONVERTER.sub(fill, route)
    params = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["page", "q", "utm_source", "order", "x"]), values
            ),
            max_size=3,
        )
    )
    query = "&".join(f"{quote(k)}={v if '%' in v else quote(v)}" for k, v in params)
    return path + ("?" + query if query else "")


class ReaderUrlPropertyTests(HypothesisTestCase):
    """Whatever URL or query string a reader (or a scanner) sends: never a 500."""

    @classmethod
    def setUpTestData(cls):
        for n in range(3):
            make_filed_brief(
                slug=f"brief-{n}", published_at=timezone.now() - timedelta(days=n)
            )
        cls.known = ["world", "trade", "ana", "brief-0", "brief-1", "2026"]

    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def test_no_reader_url_gives_a_server_error(self, data):
        url = data.draw(reader_urls(reader_routes(), self.known))
        response = self.client.get(url)
        self.assertLess(response.status_code, 500, url)

    @settings(
        max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(q=texts, page=values)
    def test_search_never_gives_a_server_error(self, q, page):
        response = self.client.get("/search/", {"q": q, "page": page})
        self.assertLess(response.status_code, 500, (q, page))

    @settings(
        max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(raw=st.binary(max_size=60))
    def test_raw_bytes_in_the_path_never_give_a_server_error(self, raw):
        response = self.client.get("/briefs/" + quote_from_bytes(raw) + "/")
        self.assertLess(response.status_code, 500, raw)
