import base64
import hashlib
import re

from django.contrib.staticfiles import finders
from django.test import TestCase

from newsroom.admin_site import EDITOR_STYLE_HASHES
from tests.factories import make_brief, make_user


def tiptap_base_css() -> str:
    """The CSS the editor injects as <style data-tiptap-style>, from editor.js."""
    with open(finders.find("django_prose_editor/editor.js"), encoding="utf-8") as f:
        source = f.read()
    match = re.search(r"`(\.ProseMirror \{.*?)`", source, re.DOTALL)
    assert match, "Tiptap's base CSS was not found in editor.js"
    return match.group(1)


def csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def style_src(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return next(d for d in policy.split(";") if d.strip().startswith("style-src"))


class EditorStyleHashTests(TestCase):
    def test_the_allowed_hash_is_the_one_of_the_installed_editors_css(self):
        expected = csp_hash(tiptap_base_css())
        self.assertIn(
            expected,
            EDITOR_STYLE_HASHES,
            f"django-prose-editor's injected CSS changed: allow {expected} "
            "in newsroom/admin_site.py EDITOR_STYLE_HASHES.",
        )

    def test_admin_pages_allow_the_editor_style_and_nothing_inline(self):
        self.client.force_login(make_user("chief", superuser=True))
        brief = make_brief()
        for url in [
            "/admin/",
            "/admin/articles/article/",
            "/admin/articles/article/add/",
            f"/admin/articles/article/{brief.pk}/change/",
        ]:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                directive = style_src(response)
                self.assertIn(EDITOR_STYLE_HASHES[0], directive)
                self.assertIn("'nonce-", directive)
                self.assertNotIn(
                    "unsafe-inline", response.headers["Content-Security-Policy"]
                )

    def test_reader_pages_do_not_get_the_editor_hash(self):
        brief = make_brief()
        for url in ["/", brief.get_absolute_url(), "/admin/login/"]:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertNotIn(EDITOR_STYLE_HASHES[0], style_src(response))
                self.assertNotIn(
                    "unsafe-inline", response.headers["Content-Security-Policy"]
                )
