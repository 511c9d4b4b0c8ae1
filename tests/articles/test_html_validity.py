"""Every reader page type passes the Nu HTML Checker with no errors.

All pages are rendered with the test client, written to one folder and
checked in a single JVM run (starting Java costs more than checking).
"""

from django.test import TestCase, override_settings

from tests.helpers import MediaRootMixin
from tests.reader_pages import NuHtmlCheckerMixin, build_site

TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@override_settings(TASKS=TASKS)
class NuHtmlCheckerTests(NuHtmlCheckerMixin, MediaRootMixin, TestCase):
    def test_every_reader_page_type_has_no_errors(self):
        with self.captureOnCommitCallbacks(execute=True):
            pages = build_site()
        for name, url in pages.items():
            response = self.client.get(url)
            expected = 404 if name == "not-found" else 200
            self.assertEqual(response.status_code, expected, url)
            self.keep_page(name, url, response)
        self.assertEqual(self.assertNoHtmlErrors(), 0)
