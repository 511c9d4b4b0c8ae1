"""Previews: stored drafts, unsaved changes, and secret links."""

import re

from django.test import TestCase

from articles.models import Article, PreviewLink, Revision, Section, SlugRedirect
from articles.roles import WRITER
from tests.factories import (
    change_form_data,
    make_brief,
    make_role_user,
    make_topic,
    make_user,
)
from tests.helpers import brief_form, nine_bullets


def assert_private(test, response):
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    test.assertLessEqual({"private", "no-store"}, cache_control)
    test.assertIn("noindex", response["X-Robots-Tag"])
    test.assertEqual(response["Referrer-Policy"], "no-referrer")


def assert_no_inline_code(test, html: str):
    # Reader pages run under a CSP without nonces for cached pages.
    test.assertIsNone(re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html))
    test.assertNotIn(" style=", html)


def log_in_with_a_draft(test, **brief):
    """Log the test's client in as an editor; a draft brief, never published."""
    test.client.force_login(make_user("ed", superuser=True))
    return make_brief(status=Article.Status.DRAFT, published_at=None, **brief)


class StaffPreviewTests(TestCase):
    def setUp(self):
        self.draft = log_in_with_a_draft(
            self,
            headline="Draft nobody has seen",
            slug="draft-unseen",
            sections=2,
            bullets=2,
        )
        self.url = f"/admin/articles/article/{self.draft.pk}/preview/"

    def test_an_editor_sees_a_draft_as_readers_will(self):
        response = self.client.get(self.url)

        self.assertEqual(response.status_code, 200)
        self.assertContains(
            response, '<h1 class="brief__headline">Draft nobody has seen</h1>'
        )
        self.assertContains(response, "Bullet 1.1 says something.")
        self.assertContains(response, "Preview of the saved version · Draft")
        assert_private(self, response)
        assert_no_inline_code(self, response.content.decode())
        # Readers still cannot.
        self.client.logout()
        self.assertEqual(self.client.get("/briefs/draft-unseen/").status_code, 404)

    def test_it_shows_the_related_briefs_readers_will_see(self):
        topic = make_topic(name="Ports")
        make_brief(headline="An older port story", topics=[topic])
        with self.captureOnCommitCallbacks(execute=True):
            self.draft.topics.set([topic])
        self.assertContains(self.client.get(self.url), "An older port story")

    def test_it_needs_a_staff_login(self):
        self.client.logout()
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)
        self.assertIn("/admin/login/", response.url)

    def test_a_writer_cannot_preview_someone_elses_draft(self):
        self.client.force_login(make_role_user("w", WRITER))
        self.assertEqual(self.client.get(self.url).status_code, 404)


class UnsavedPreviewTests(TestCase):
    def setUp(self):
        self.client.force_login(make_user("ed", superuser=True))
        self.article = make_brief(headline="Stored headline", sections=1, bullets=1)
        self.url = f"/admin/articles/article/{self.article.pk}/preview/"

    def test_it_renders_the_form_as_posted_and_saves_nothing(self):
        stored_version = self.article.version
        data = change_form_data(
            self.article, headline="Typed but not saved", slug="typed-slug"
        )
        data["sections-0-bullets-TOTAL_FORMS"] = "2"
        data["sections-0-bullets-1-text"] = "<p>A new bullet, unsaved.</p>"
        data["sections-0-bullets-1-position"] = "1"
        response = self.client.post(self.url, data)

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Typed but not saved")
        self.assertContains(response, "<li>A new bullet, unsaved.</li>", html=True)
        self.assertContains(response, "Preview of unsaved changes")
        assert_private(self, response)

        self.article.refresh_from_db()
        self.assertEqual(self.article.headline, "Stored headline")
        self.assertEqual(self.article.version, stored_version)
        self.assertEqual(self.article.sections.get().bullets.count(), 1)
        self.assertFalse(Revision.objects.exists())
        self.assertFalse(SlugRedirect.objects.exists())

    def test_a_new_brief_can_be_previewed_before_its_first_save(self):
        response = self.client.post(
            "/admin/articles/article/add/preview/", brief_form(nine_bullets())
        )
        self.assertContains(response, "Ports reopen after the strike")
        self.assertContains(response, "Shippers are watching")
        self.assertEqual(Article.objects.count(), 1)  # only the stored one
        self.assertFalse(
            Section.objects.filter(custom_label="Shippers are watching").exists()
        )

    def test_unsafe_markup_is_cleaned_as_on_save(self):
        data = change_form_data(self.article)
        data["sections-0-bullets-0-text"] = (
            "<p>ok<script>alert(1)</script><img src=x onerror=y></p>"
        )
        response = self.client.post(self.url, data)
        self.assertContains(response, "ok")
        self.assertNotContains(response, "alert(1)")
        self.assertNotContains(response, "onerror")

    def test_a_form_with_errors_lists_them_and_saves_nothing(self):
        data = change_form_data(self.article, headline="")
        data["sections-0-label"] = ""
        data["sections-0-custom_label"] = ""
        response = self.client.post(self.url, data)

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "cannot be previewed yet")
        self.assertContains(response, "Headline: This field is required.")
        self.assertContains(response, "Section 1,")
        self.assertContains(response, "type a custom label")

    def test_a_stale_form_still_previews(self):
        data = change_form_data(self.article, headline="Stale but previewable")
        self.article.save()  # someone else saved meanwhile
        response = self.client.post(self.url, data)
        self.assertContains(response, "Stale but previewable")

    def test_the_change_form_has_a_preview_button(self):
        response = self.client.get(f"/admin/articles/article/{self.article.pk}/change/")
        self.assertContains(response, f'formaction="{self.url}" formtarget="_blank"')


class PreviewLinkTests(TestCase):
    def setUp(self):
        self.draft = log_in_with_a_draft(
            self,
            headline="Embargoed until Monday",
            slug="embargoed",
        )
        self.share = f"/admin/articles/article/{self.draft.pk}/share/"

    def create_link(self) -> PreviewLink:
        response = self.client.post(self.share, {"_create": "1"})
        self.assertEqual(response.status_code, 302)
        return PreviewLink.objects.get(article=self.draft)

    def test_anyone_with_the_link_sees_the_draft(self):
        link = self.create_link()
        self.assertGreaterEqual(len(link.token), 32)
        self.assertContains(self.client.get(self.share), link.get_absolute_url())

        self.client.logout()
        response = self.client.get(link.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Embargoed until Monday")
        self.assertContains(
            response, '<meta name="robots" content="noindex, nofollow">'
        )
        assert_private(self, response)
        assert_no_inline_code(self, response.content.decode())

    def test_a_revoked_link_shows_nothing(self):
        link = self.create_link()
        self.client.post(self.share, {"_revoke": link.pk})
        link.refresh_from_db()
        self.assertIsNotNone(link.revoked_at)

        self.client.logout()
        response = self.client.get(link.get_absolute_url())
        self.assertEqual(response.status_code, 404)
        self.assertNotContains(response, "Embargoed", status_code=404)

    def test_revoking_one_link_leaves_the_others(self):
        first = self.create_link()
        self.client.post(self.share, {"_create": "1"})
        second = PreviewLink.objects.exclude(pk=first.pk).get()
        self.client.post(self.share, {"_revoke": first.pk})
        self.client.logout()
        self.assertEqual(self.client.get(second.get_absolute_url()).status_code, 200)

    def test_an_unknown_token_is_not_found(self):
        self.client.logout()
        self.assertEqual(self.client.get("/preview/not-a-real-token/").status_code, 404)

    def test_once_published_the_link_leads_to_the_public_page(self):
        link = self.create_link()
        self.draft.publish()
        response = self.client.get(link.get_absolute_url())
        self.assertRedirects(response, "/briefs/embargoed/")

    def test_a_writer_shares_their_own_draft_only(self):
        writer = make_role_user("w", WRITER)
        own = make_brief(status=Article.Status.DRAFT, created_by=writer)
        self.client.force_login(writer)
        self.assertEqual(
            self.client.post(
                f"/admin/articles/article/{own.pk}/share/", {"_create": "1"}
            ).status_code,
            302,
        )
        self.assertEqual(
            self.client.post(self.share, {"_create": "1"}).status_code, 404
        )
        self.assertEqual(PreviewLink.objects.count(), 1)
