"""Arbitrary input to the signup and preferences forms, the token endpoints
and the archive is never a 500 (property-based, Hypothesis)."""

from urllib.parse import quote

from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from newsletter import tokens
from tests.newsletter.factories import (
    default_newsletter,
    make_newsletter,
    make_subscriber,
)
from tests.newsletter.hostile import (
    INJECTIONS,
    INVISIBLE,
    NO_LIMITS,
    OFF_SITE,
    payload,
    tried,
)

text = st.text(max_size=300)
hostile_text = st.one_of(
    text,
    st.sampled_from(INJECTIONS + INVISIBLE + OFF_SITE + [payload("p")]),
    st.builds(
        lambda a, b, c: a + b + c,
        text,
        st.sampled_from(INVISIBLE + ["@", "\r\n", "%", "/", ".."]),
        text,
    ),
)
path_segment = st.one_of(
    st.text(min_size=1, max_size=120),
    st.from_regex(
        r"[0-9a-z]{1,14}\.[0-9a-z]{1,14}\.[A-Za-z0-9_-]{0,20}", fullmatch=True
    ),
    st.from_regex(
        r"[0-9a-z]{1,14}:[A-Za-z0-9_-]{5,8}:[A-Za-z0-9_-]{20,50}", fullmatch=True
    ),
)
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@NO_LIMITS
class NeverA500Tests(HypothesisTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.daily = default_newsletter()
        cls.reader = make_subscriber("ada@example.com", newsletters=[cls.daily])
        make_newsletter(name="Weekly", slug="weekly")

    def check(self, response):
        tried()
        self.assertLess(response.status_code, 500, response.content[:500])

    @FUZZ
    @given(
        email=hostile_text,
        next_=hostile_text,
        source=hostile_text,
        website=st.sampled_from(["", "x"]),
        lists=st.lists(hostile_text, max_size=5),
        json=st.booleans(),
    )
    def test_the_signup_form(self, email, next_, source, website, lists, json):
        data = {"email": email, "next": next_, "source": source, "website": website}
        if lists:
            data["newsletters"] = lists
        headers = {"HTTP_ACCEPT": "application/json"} if json else {}
        self.check(Client().post("/newsletter/", data, **headers))

    @FUZZ
    @given(lists=st.lists(hostile_text, max_size=5), leave=st.booleans())
    def test_the_preferences_form(self, lists, leave):
        data = {"newsletters": lists}
        if leave:
            data["unsubscribe_all"] = ""
        url = f"/newsletter/preferences/{tokens.preferences_token(self.reader.pk)}/"
        self.check(Client().post(url, data))

    @FUZZ
    @given(
        kind=st.sampled_from(["confirm", "preferences", "unsubscribe", "archive"]),
        segment=path_segment,
        method=st.sampled_from(["get", "post", "head"]),
        body=st.sampled_from(["", "List-Unsubscribe=One-Click", "unsubscribe_all="]),
    )
    def test_the_token_endpoints(self, kind, segment, method, body):
        quoted = quote(segment, safe="")
        url = {
            "confirm": f"/newsletter/confirm/{quoted}/",
            "preferences": f"/newsletter/preferences/{quoted}/",
            "unsubscribe": f"/u/{quoted}/",
            "archive": f"/newsletter/archive/{quoted}/",
        }[kind]
        client = Client()
        if method == "post":
            response = client.post(
                url, body, content_type="application/x-www-form-urlencoded"
            )
        else:
            response = getattr(client, method)(url)
        self.check(response)

    @FUZZ
    @given(slug=path_segment, pk=st.integers(min_value=0, max_value=10**30))
    def test_archive_editions(self, slug, pk):
        self.check(Client().get(f"/newsletter/archive/{quote(slug, safe='')}/{pk}/"))
