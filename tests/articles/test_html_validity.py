"""Every reader page type passes the Nu HTML Checker with no errors.

All pages are rendered with the test client, written to one folder and
checked in a single JVM run (starting Java costs more than checking).
"""

from django.test import TestCase, override_settings

from tests.helpers import MediaRootMixin
from tests.reader_pages import build_site, require_vnu, vnu_problems

TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@override_settings(TASKS=TASKS)
class NuHtmlCheckerTests(MediaRootMixin, TestCase):
    def setUp(self):
        import tempfile

        self.java = require_vnu()
        self.out = tempfile.TemporaryDirectory()
        self.addCleanup(self.out.cleanup)

    def test_every_reader_page_type_has_no_errors(self):
        from pathlib import Path

        with self.captureOnCommitCallbacks(execute=True):
            pages = build_site()
        files = {}
        for name, url in pages.items():
            response = self.client.get(url)
            expected = 404 if name == "not-found" else 200
            self.assertEqual(response.status_code, expected, url)
            path = Path(self.out.name) / f"{name}.html"
            path.write_bytes(response.content)
            files[str(path)] = url
        problems, returncode = vnu_problems(self.java, files)
        self.assertEqual(problems, [], "\n".join(problems))
        self.assertEqual(returncode, 0)
