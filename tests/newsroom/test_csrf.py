"""Every view is CSRF-protected except the ones listed here, on purpose.

The walk covers the whole URLconf (the admin, nested-admin, every included
app), so a new `@csrf_exempt` view fails this test until someone decides it
belongs on the list.
"""

from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware
from django.test import Client, SimpleTestCase, TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.module_loading import import_string

# RFC 8058 one-click unsubscribe: mail clients POST without a token or an
# Origin we could check. Nothing else: pages a reader opens in a browser can
# use @csrf_origin_checked (newsroom/csrf.py) when a cookie is unwelcome.
ALLOWED_EXEMPT = {"one_click_unsubscribe", "newsletter:one_click_unsubscribe"}
# Providers' tracking webhooks (newsletter/webhooks.py): servers POST there,
# proven by basic auth (ANYMAIL_WEBHOOK_SECRET) and, where the provider signs,
# its signature; no browser session is involved.
ALLOWED_EXEMPT |= {
    f"{provider}_tracking"
    for provider in ("postmark", "amazon_ses", "mailgun", "sendgrid", "brevo")
}


def walk(patterns=None, namespace="", prefix=""):
    """Yield (route, "namespace:name" or None, view callback) for every URL."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
            yield from walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield prefix + str(pattern.pattern), name, pattern.callback


def exempt_views(patterns=None):
    return {
        (route, name)
        for route, name, callback in walk(patterns)
        if getattr(callback, "csrf_exempt", False)
    }


class CsrfUrlconfWalkTests(SimpleTestCase):
    def test_the_csrf_middleware_is_installed(self):
        # Without it no view is protected, whatever its attributes say.
        # (newsroom.csrf's subclass also accepts Origin-verified POSTs on
        # views marked @csrf_origin_checked; that is still a CSRF check.)
        classes = [import_string(path) for path in settings.MIDDLEWARE]
        self.assertTrue(any(issubclass(c, CsrfViewMiddleware) for c in classes))

    def test_no_view_is_exempt_except_the_allowlisted_ones(self):
        unexpected = {
            (route, name)
            for route, name in exempt_views()
            if name not in ALLOWED_EXEMPT
        }
        self.assertEqual(
            unexpected,
            set(),
            "These views are @csrf_exempt: protect them (or use "
            "@csrf_origin_checked), or add them to ALLOWED_EXEMPT with a reason.",
        )

    def test_the_walk_reaches_the_admin_and_every_included_app(self):
        names = {name for _, name, _ in walk() if name}
        for expected in [
            "admin:login",
            "admin:articles_article_change",
            "admin:articles_article_delete",
            "articles:detail",
            "nesting_server_data",
        ]:
            with self.subTest(expected=expected):
                self.assertIn(expected, names)
        self.assertTrue(any(name.startswith("newsletter:") for name in names))

    @override_settings(ROOT_URLCONF="tests.newsroom.csrf_urls")
    def test_it_finds_an_exempt_view_however_deeply_it_is_included(self):
        self.assertEqual(exempt_views(), {("nested/deep/", "inner:careless")})


class CsrfEnforcedTests(TestCase):
    def test_a_post_without_a_token_is_refused_on_the_admin_login(self):
        client = Client(enforce_csrf_checks=True)
        response = client.post("/admin/login/", {"username": "a", "password": "b"})
        self.assertEqual(response.status_code, 403)

    def test_a_post_without_a_token_is_refused_on_a_reader_page(self):
        client = Client(enforce_csrf_checks=True)
        self.assertEqual(client.post("/", {}).status_code, 403)
