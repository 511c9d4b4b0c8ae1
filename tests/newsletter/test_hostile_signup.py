"""Hostile input to the signup form: over-long values and odd Unicode (NUL,
bidi controls, zero-width and other invisible characters) get an error a
person can act on, never a 500, and never a second row for an address that
only looks different; `next` never sends anyone to another site."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from django.core import mail
from django.test import Client, TestCase

from newsletter.models import Subscriber, Subscription, SubscriptionEvent
from tests.newsletter.factories import default_newsletter
from tests.newsletter.hostile import INVISIBLE, NO_LIMITS, OFF_SITE, tried

# Over-long values and odd Unicode --------------------------------------------


@NO_LIMITS
class SignupInputTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()

    def post(self, data, json=False):
        tried()
        headers = {"HTTP_ACCEPT": "application/json"} if json else {}
        with self.captureOnCommitCallbacks(execute=True):
            return Client().post("/newsletter/", data, **headers)

    def test_invisible_and_control_characters_anywhere_in_an_address_are_refused(
        self,
    ):
        for char in INVISIBLE:
            for address in (
                f"a{char}da@example.com",
                f"ada@exa{char}mple.com",
                f"ada@example.com{char}x",
                f"ada{char}@example.com",
            ):
                with self.subTest(address=address):
                    response = self.post({"email": address}, json=True)
                    self.assertEqual(response.status_code, 400, address)
                    self.assertTrue(response.json()["errors"]["email"][0])
        self.assertEqual(Subscriber.objects.count(), 0)
        self.assertEqual(len(mail.outbox), 0)

    def test_the_error_says_what_is_wrong_and_keeps_what_was_typed(self):
        response = self.post({"email": "ada@exa\u200bmple.com"})
        self.assertContains(response, "invisible", status_code=400)
        self.assertContains(response, "ada@exa\u200bmple.com", status_code=400)

    def test_an_address_that_only_looks_like_another_makes_no_second_row(self):
        self.post({"email": "ada@example.com"})
        for lookalike in ("ada@exa\u200bmple.com", "ada@example.com\u2060"):
            self.post({"email": lookalike})
        self.assertEqual(
            list(Subscriber.objects.values_list("email", flat=True)),
            ["ada@example.com"],
        )

    def test_over_long_values_are_form_errors(self):
        cases = [
            {"email": "a" * 250 + "@example.com"},
            {"email": "ada@" + "b" * 64 + ".com"},
            {"email": "ada@example.com", "newsletters": [str(i) for i in range(3000)]},
            {"email": "x" * 100_000},
        ]
        for data in cases:
            with self.subTest(data=str(data)[:60]):
                response = self.post({"source": "signup-page", **data}, json=True)
                self.assertEqual(response.status_code, 400)
        self.assertEqual(Subscriber.objects.count(), 0)

    def test_an_over_long_next_is_cut_not_refused(self):
        response = self.post({"email": "ada@example.com", "next": "/" + "n" * 5000})
        self.assertEqual(response.status_code, 303)
        self.assertEqual(len(Subscription.objects.get().source_url), 300)

    def test_odd_unicode_in_other_fields_is_harmless(self):
        for char in INVISIBLE:
            response = self.post(
                {
                    "email": "ada@example.com",
                    "next": f"/briefs/{char}x/",
                    "source": f"footer{char}",
                    "newsletters": [f"1{char}"],
                }
            )
            self.assertIn(response.status_code, (303, 400))
        self.assertLessEqual(Subscriber.objects.count(), 1)


# Open redirects ----------------------------------------------------------------


def is_on_site(url: str) -> bool:
    """What a browser would do with `url` on http://testserver/."""
    cleaned = url.strip().replace("\\", "/")
    cleaned = re.sub(r"[\t\n\r]", "", cleaned)
    parts = urlsplit(cleaned)
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return False
    return parts.netloc in ("", "testserver") and not cleaned.startswith("//")


def back_link(html: str) -> str | None:
    found = re.search(r'href="([^"]*)">Back to where you were', html)
    return unescape(found.group(1)) if found else None


@NO_LIMITS
class OpenRedirectTests(TestCase):
    def setUp(self):
        default_newsletter()

    def test_the_signup_redirect_stays_on_site(self):
        for target in OFF_SITE:
            tried()
            with self.subTest(target=target):
                response = Client().post(
                    "/newsletter/",
                    {"email": "ada@example.com", "next": target},
                )
                self.assertEqual(response.status_code, 303)
                location = response["Location"]
                self.assertTrue(location.startswith("/newsletter/check-your-inbox/"))
                for kept in parse_qs(urlsplit(location).query).get("next", []):
                    self.assertTrue(is_on_site(kept), kept)
                back = back_link(self.client.get(location).content.decode())
                self.assertTrue(back is None or is_on_site(back), back)

    def test_the_check_inbox_page_links_back_only_to_this_site(self):
        for target in OFF_SITE:
            tried()
            with self.subTest(target=target):
                response = self.client.get(
                    "/newsletter/check-your-inbox/", {"next": target}
                )
                self.assertEqual(response.status_code, 200)
                back = back_link(response.content.decode())
                self.assertTrue(back is None or is_on_site(back), back)

    def test_recorded_consent_pages_are_paths_on_this_site(self):
        for target in OFF_SITE:
            tried()
            Client().post("/newsletter/", {"email": "ada@example.com", "next": target})
        pages = set(Subscription.objects.values_list("source_url", flat=True))
        pages |= set(SubscriptionEvent.objects.values_list("detail", flat=True))
        self.assertTrue(all(is_on_site(p) for p in pages), pages)

    def test_an_on_site_next_still_works(self):
        response = Client().post(
            "/newsletter/", {"email": "ada@example.com", "next": "/briefs/x/?a=1"}
        )
        self.assertEqual(
            response["Location"],
            "/newsletter/check-your-inbox/?next=%2Fbriefs%2Fx%2F%3Fa%3D1",
        )
