from django.conf import settings
from django.test import SimpleTestCase, override_settings
from django.utils.csp import CSP

from newsroom import checks

SMTP = "django.core.mail.backends.smtp.EmailBackend"
REDIS = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://",
}
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def ids(messages):
    return [message.id for message in messages]


class TrustedProxiesCheckTests(SimpleTestCase):
    @override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "not-an-ip"])
    def test_an_invalid_entry_is_an_error(self):
        self.assertEqual(ids(checks.check_trusted_proxies(None)), ["newsroom.E001"])

    @override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "::1"])
    def test_valid_entries_pass(self):
        self.assertEqual(checks.check_trusted_proxies(None), [])


class MailTimeoutCheckTests(SimpleTestCase):
    @override_settings(
        MAILERS={
            "default": {"BACKEND": SMTP, "OPTIONS": {"host": "x", "timeout": 20}},
            "bulk": {"BACKEND": SMTP, "OPTIONS": {"host": "x"}},
        }
    )
    def test_an_smtp_mailer_without_a_timeout_is_flagged(self):
        messages = checks.check_mail_timeouts(None)
        self.assertEqual(ids(messages), ["newsroom.W002"])
        self.assertIn("'bulk'", messages[0].msg)

    @override_settings(
        MAILERS={
            "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
        }
    )
    def test_other_backends_need_no_timeout(self):
        self.assertEqual(checks.check_mail_timeouts(None), [])


@override_settings(DEBUG=False, ALLOWED_HOSTS=["example.com"])
class SiteUrlCheckTests(SimpleTestCase):
    @override_settings(SITE_URL="http://example.com")
    def test_plain_http_is_flagged(self):
        self.assertEqual(ids(checks.check_site_url(None)), ["newsroom.W001"])

    @override_settings(SITE_URL="https://news.example.org")
    def test_a_host_outside_allowed_hosts_is_flagged(self):
        self.assertEqual(ids(checks.check_site_url(None)), ["newsroom.W005"])

    @override_settings(SITE_URL="https://example.com")
    def test_the_public_https_address_passes(self):
        self.assertEqual(checks.check_site_url(None), [])

    @override_settings(DEBUG=True, SITE_URL="http://127.0.0.1:8000")
    def test_development_is_left_alone(self):
        self.assertEqual(checks.check_site_url(None), [])


@override_settings(DEBUG=False)
class SharedCacheCheckTests(SimpleTestCase):
    @override_settings(CACHES={"default": LOCMEM})
    def test_a_per_process_cache_is_flagged(self):
        self.assertEqual(ids(checks.check_shared_cache(None)), ["newsroom.W003"])

    @override_settings(CACHES={"default": REDIS})
    def test_redis_passes(self):
        self.assertEqual(checks.check_shared_cache(None), [])


@override_settings(
    DEBUG=False, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)
class ProxyAddressCheckTests(SimpleTestCase):
    @override_settings(TRUSTED_PROXIES=[])
    def test_a_proxy_without_trusted_proxies_is_flagged(self):
        self.assertEqual(ids(checks.check_proxy_addresses(None)), ["newsroom.W004"])

    @override_settings(TRUSTED_PROXIES=["10.0.0.1"])
    def test_a_listed_proxy_passes(self):
        self.assertEqual(checks.check_proxy_addresses(None), [])


@override_settings(DEBUG=False)
class CspCheckTests(SimpleTestCase):
    def test_inline_scripts_are_flagged(self):
        policy = {
            "default-src": [CSP.SELF],
            "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
        }
        with self.settings(SECURE_CSP=policy):
            self.assertEqual(ids(checks.check_csp(None)), ["newsroom.W006"])

    def test_no_policy_is_flagged(self):
        with self.settings(SECURE_CSP={}):
            self.assertEqual(ids(checks.check_csp(None)), ["newsroom.W006"])

    def test_the_projects_policy_passes(self):
        self.assertEqual(checks.check_csp(None), [])


class CsrfMiddlewareCheckTests(SimpleTestCase):
    def test_the_projects_subclass_counts(self):
        self.assertEqual(checks.check_csrf_middleware(None), [])

    def test_no_csrf_middleware_is_flagged(self):
        without = [m for m in settings.MIDDLEWARE if "csrf" not in m.lower()]
        with self.settings(MIDDLEWARE=without):
            self.assertEqual(ids(checks.check_csrf_middleware(None)), ["newsroom.W007"])


S3 = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "b"}}
FILES = {"BACKEND": "django.core.files.storage.FileSystemStorage"}


@override_settings(DEBUG=False, MEDIA_SERVED_BY="")
class MediaServerCheckTests(SimpleTestCase):
    def test_local_media_with_nobody_to_serve_them_are_flagged(self):
        with self.settings(STORAGES={**settings.STORAGES, "default": FILES}):
            messages = checks.check_media_server(None)
        self.assertEqual(ids(messages), ["newsroom.W008"])
        self.assertIn("MEDIA_SERVED_BY", messages[0].hint)

    @override_settings(MEDIA_SERVED_BY="nginx")
    def test_a_named_server_passes(self):
        with self.settings(STORAGES={**settings.STORAGES, "default": FILES}):
            self.assertEqual(checks.check_media_server(None), [])

    def test_media_in_a_bucket_pass(self):
        with self.settings(STORAGES={**settings.STORAGES, "default": S3}):
            self.assertEqual(checks.check_media_server(None), [])

    @override_settings(DEBUG=True)
    def test_development_is_left_alone(self):
        # runserver serves /media/ itself with DEBUG on (newsroom/urls.py).
        with self.settings(STORAGES={**settings.STORAGES, "default": FILES}):
            self.assertEqual(checks.check_media_server(None), [])
