"""Each editorial role, tested through the admin it works in."""

from django.contrib.auth.models import Group, Permission
from django.test import TestCase

from articles.models import Article
from articles.roles import EDITOR, NEWSLETTER_EDITOR, WITHHELD, WRITER
from tests.factories import (
    change_form_data,
    label,
    make_article,
    make_author,
    make_brief,
    make_role_user,
)
from tests.helpers import brief_form

ADD = "/admin/articles/article/add/"


def change_url(article) -> str:
    return f"/admin/articles/article/{article.pk}/change/"


def assert_read_only(test, brief, **change) -> None:
    """The change form shows `brief` but refuses to save `change`."""
    response = test.client.get(change_url(brief))
    test.assertEqual(response.status_code, 200)
    test.assertFalse(response.context["has_change_permission"])
    response = test.client.post(change_url(brief), change_form_data(brief, **change))
    test.assertEqual(response.status_code, 403)


def codenames(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


class RoleGroupsTests(TestCase):
    def test_the_migration_creates_three_roles(self):
        self.assertTrue(
            Group.objects.filter(name__in=[WRITER, EDITOR, NEWSLETTER_EDITOR]).count()
            == 3
        )

    def test_writers_write_but_do_not_publish(self):
        perms = codenames(WRITER)
        self.assertLessEqual(
            {
                "articles.add_article",
                "articles.change_article",
                "articles.add_section",
                "articles.add_bullet",
            },
            perms,
        )
        self.assertNotIn("articles.publish_article", perms)
        self.assertNotIn("articles.edit_any_article", perms)
        self.assertNotIn("articles.delete_article", perms)
        self.assertNotIn("articles.add_correction", perms)

    def test_editors_may_do_everything_with_briefs(self):
        perms = codenames(EDITOR)
        self.assertLessEqual(
            {
                "articles.publish_article",
                "articles.edit_any_article",
                "articles.delete_article",
                "articles.add_correction",
                "articles.change_slugredirect",
            },
            perms,
        )

    def test_newsletter_editors_read_briefs_and_own_the_newsletter(self):
        perms = codenames(NEWSLETTER_EDITOR)
        self.assertIn("articles.view_article", perms)
        self.assertNotIn("articles.change_article", perms)
        newsletter_perms = {
            f"newsletter.{codename}"
            for codename in Permission.objects.filter(
                content_type__app_label="newsletter"
            ).values_list("codename", flat=True)
        }
        withheld = {f"newsletter.{codename}" for codename in WITHHELD["newsletter"]}
        # Whatever models the newsletter app has, this role holds them all,
        # except what would delete or rewrite the consent log.
        self.assertLessEqual(newsletter_perms - withheld, perms)
        self.assertFalse(withheld & perms)
        self.assertIn("newsletter.delete_subscription", withheld)


class LoggedInTestCase(TestCase):
    """Each test runs logged in as `username`, a member of the group `role`."""

    role = username = None

    def setUp(self):
        self.user = make_role_user(self.username, self.role)
        self.client.force_login(self.user)


class WriterTests(LoggedInTestCase):
    role, username = WRITER, "wendy"

    def test_the_list_shows_only_their_own_briefs(self):
        own = make_article(headline="Mine by creation", created_by=self.user)
        author = make_author(name="Wendy Writer", user=self.user)
        bylined = make_article(headline="Mine by byline", authors=[author])
        make_article(headline="Someone else's brief")

        response = self.client.get("/admin/articles/article/")

        self.assertContains(response, own.headline)
        self.assertContains(response, bylined.headline)
        self.assertNotContains(response, "Someone else&#x27;s brief")

    def test_they_cannot_open_someone_elses_brief(self):
        other = make_article(status=Article.Status.DRAFT, headline="Not yours")
        response = self.client.get(change_url(other))
        self.assertEqual(response.status_code, 302)  # "doesn't exist", to the index
        response = self.client.post(change_url(other), change_form_data(other))
        self.assertEqual(response.status_code, 302)
        other.refresh_from_db()
        self.assertEqual(other.headline, "Not yours")

    def test_they_create_drafts_they_own(self):
        data = brief_form(
            [(label("Why it matters").pk, "", "<p>It matters.</p>", ["<p>one</p>"])],
            status=Article.Status.DRAFT,
        )
        del data["published_at_0"], data["published_at_1"]
        response = self.client.post(ADD, data)

        self.assertEqual(response.status_code, 302, response.content[:3000])
        article = Article.objects.get()
        self.assertEqual(article.created_by, self.user)
        self.assertEqual(article.status, Article.Status.DRAFT)
        self.assertIsNone(article.published_at)

    def test_their_form_offers_only_draft_and_review(self):
        response = self.client.get(ADD)
        status = response.context["adminform"].form.fields["status"]
        self.assertEqual(
            [value for value, _ in status.choices],
            [Article.Status.DRAFT, Article.Status.REVIEW],
        )
        # The publication time is not theirs to set.
        self.assertNotIn("published_at", response.context["adminform"].form.fields)
        self.assertNotContains(response, 'name="_publish"')
        self.assertContains(response, 'name="_submit"')

    def test_choosing_published_is_refused_with_a_reason(self):
        draft = make_article(status=Article.Status.DRAFT, created_by=self.user)
        data = change_form_data(draft, status=Article.Status.PUBLISHED)
        response = self.client.post(change_url(draft), data)

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "an editor publishes it")
        draft.refresh_from_db()
        self.assertEqual(draft.status, Article.Status.DRAFT)

    def test_the_publish_button_is_refused(self):
        draft = make_article(status=Article.Status.DRAFT, created_by=self.user)
        data = change_form_data(draft, _publish="1")
        response = self.client.post(change_url(draft), data)

        self.assertContains(response, "Only an editor can publish")
        draft.refresh_from_db()
        self.assertEqual(draft.status, Article.Status.DRAFT)

    def test_they_submit_for_review(self):
        draft = make_article(status=Article.Status.DRAFT, created_by=self.user)
        response = self.client.post(
            change_url(draft), change_form_data(draft, _submit="1")
        )
        self.assertEqual(response.status_code, 302, response.content[:3000])
        draft.refresh_from_db()
        self.assertEqual(draft.status, Article.Status.REVIEW)
        self.assertEqual(draft.revisions.get().note, "Submit for review")

    def test_once_published_their_brief_is_read_only(self):
        live = make_brief(created_by=self.user, headline="Live already")
        assert_read_only(self, live, headline="Sneaky edit")
        live.refresh_from_db()
        self.assertEqual(live.headline, "Live already")

    def test_publishing_actions_are_not_offered(self):
        make_article(status=Article.Status.DRAFT, created_by=self.user)
        response = self.client.get("/admin/articles/article/")
        actions = dict(response.context["action_form"].fields["action"].choices)
        self.assertIn("submit_for_review", actions)
        self.assertNotIn("publish_now", actions)
        self.assertNotIn("unpublish", actions)

    def test_the_publish_action_cannot_be_forced(self):
        draft = make_article(status=Article.Status.DRAFT, created_by=self.user)
        self.client.post(
            "/admin/articles/article/",
            {"action": "publish_now", "_selected_action": [draft.pk]},
        )
        draft.refresh_from_db()
        self.assertEqual(draft.status, Article.Status.DRAFT)


class EditorTests(LoggedInTestCase):
    role, username = EDITOR, "eddie"

    def test_they_edit_anyones_brief(self):
        other = make_brief(headline="Written by someone else")
        response = self.client.post(
            change_url(other), change_form_data(other, headline="Sharper headline")
        )
        self.assertEqual(response.status_code, 302, response.content[:3000])
        other.refresh_from_db()
        self.assertEqual(other.headline, "Sharper headline")

    def test_they_publish_with_the_button(self):
        draft = make_brief(status=Article.Status.REVIEW, published_at=None)
        response = self.client.post(
            change_url(draft),
            change_form_data(draft, _publish="1", published_at_0="", published_at_1=""),
        )
        self.assertEqual(response.status_code, 302, response.content[:3000])
        draft.refresh_from_db()
        self.assertTrue(draft.is_published)
        self.assertEqual(self.client.get(draft.get_absolute_url()).status_code, 200)

    def test_they_publish_and_unpublish_from_the_list(self):
        a = make_brief(status=Article.Status.REVIEW, published_at=None)
        b = make_brief(status=Article.Status.DRAFT, published_at=None)
        self.client.post(
            "/admin/articles/article/",
            {"action": "publish_now", "_selected_action": [a.pk, b.pk]},
        )
        self.assertEqual(Article.objects.published().count(), 2)

        self.client.post(
            "/admin/articles/article/",
            {"action": "unpublish", "_selected_action": [a.pk]},
        )
        a.refresh_from_db()
        self.assertEqual(a.status, Article.Status.UNPUBLISHED)
        self.assertEqual(self.client.get(a.get_absolute_url()).status_code, 404)
        self.assertEqual(
            list(a.revisions.values_list("note", flat=True)), ["Unpublish", "Publish"]
        )


class NewsletterEditorTests(LoggedInTestCase):
    role, username = NEWSLETTER_EDITOR, "nora"

    def test_they_see_every_brief_but_change_none(self):
        brief = make_brief(headline="Pick me for the edition")
        self.assertContains(
            self.client.get("/admin/articles/article/"), "Pick me for the edition"
        )
        assert_read_only(self, brief, headline="Nope")
        self.assertEqual(self.client.get(ADD).status_code, 403)

    def test_they_read_a_brief_with_its_sections(self):
        brief = make_brief(sections=2, bullets=1)
        response = self.client.get(change_url(brief))
        self.assertContains(response, "Bullet 1.0 says something.")

    def test_they_reach_the_newsletter_admin(self):
        from django.contrib import admin

        if not any(m._meta.app_label == "newsletter" for m in admin.site._registry):
            self.skipTest("the newsletter app has no admin yet")
        response = self.client.get("/admin/newsletter/")
        self.assertEqual(response.status_code, 200)
