"""`next` parameters on the admin's login and logout never send anyone to
another site."""

from urllib.parse import urlencode, urljoin, urlsplit

from django.test import TestCase

from tests.factories import make_user

EVIL_NEXT = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example/",
    "///evil.example/",
    "////evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "\\/evil.example",
    "https:evil.example",
    "https:/evil.example",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "%2F%2Fevil.example",
    "https://testserver@evil.example/",
    "https://testserver.evil.example/",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/admin/\r\nLocation: https://evil.example/",
    "https://evil.example\\@testserver/",
]


class OpenRedirectTests(TestCase):
    def setUp(self):
        self.editor = make_user("editor", staff=True)

    def assertStaysOnSite(self, response, payload):
        self.assertIn(response.status_code, {301, 302, 303}, payload)
        location = response.headers["Location"]
        self.assertNotIn("\n", location)
        self.assertNotIn("\r", location)
        # Where a browser would go, resolved against the page it was on.
        target = urlsplit(urljoin("http://testserver/admin/login/", location))
        self.assertEqual(target.netloc, "testserver", (payload, location))
        self.assertIn(target.scheme, {"http", "https"}, (payload, location))

    def test_logging_in_never_follows_a_foreign_next(self):
        for payload in EVIL_NEXT:
            with self.subTest(next=payload):
                self.client.logout()
                response = self.client.post(
                    "/admin/login/?" + urlencode({"next": payload}),
                    {
                        "username": "editor",
                        "password": "correct horse battery staple",
                        "next": payload,
                    },
                )
                self.assertStaysOnSite(response, payload)

    def test_a_logged_in_editor_is_not_bounced_to_a_foreign_next(self):
        self.client.force_login(self.editor)
        for payload in EVIL_NEXT:
            with self.subTest(next=payload):
                response = self.client.get(
                    "/admin/login/?" + urlencode({"next": payload})
                )
                self.assertStaysOnSite(response, payload)

    def test_logging_out_never_follows_a_foreign_next(self):
        for payload in EVIL_NEXT:
            with self.subTest(next=payload):
                self.client.force_login(self.editor)
                response = self.client.post(
                    "/admin/logout/?" + urlencode({"next": payload}), {"next": payload}
                )
                if response.status_code == 200:
                    continue  # the "logged out" page itself: no redirect at all
                self.assertStaysOnSite(response, payload)

    def test_a_refused_next_lands_on_the_admin_index(self):
        response = self.client.post(
            "/admin/login/?next=https://evil.example/",
            {
                "username": "editor",
                "password": "correct horse battery staple",
                "next": "https://evil.example/",
            },
        )
        self.assertRedirects(response, "/admin/", fetch_redirect_response=False)

    def test_a_local_next_is_still_honoured(self):
        response = self.client.post(
            "/admin/login/?next=/admin/articles/article/",
            {
                "username": "editor",
                "password": "correct horse battery staple",
                "next": "/admin/articles/article/",
            },
        )
        self.assertRedirects(
            response, "/admin/articles/article/", fetch_redirect_response=False
        )
