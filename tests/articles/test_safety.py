"""Deleting things around briefs never deletes briefs; published briefs are
unpublished, not deleted (articles/safety.py)."""

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.db.models import ProtectedError
from django.test import TestCase

from articles.models import Article, Bullet, Section
from tests.factories import (
    label,
    make_article,
    make_author,
    make_brief,
    make_category,
    make_topic,
    make_user,
)
from tests.helpers import delete_selected

CHANGELIST = "/admin/articles/article/"


class DeletingWhatBriefsReferToTests(TestCase):
    def setUp(self):
        self.chief = make_user("chief", superuser=True)
        self.client.force_login(self.chief)
        self.category = make_category()
        self.topic = make_topic()
        self.author = make_author(user=make_user("reporter", staff=True))
        self.brief = make_brief(
            sections=2,
            bullets=3,
            category=self.category,
            topics=[self.topic],
            authors=[self.author],
        )

    def assertBriefIntact(self):
        brief = Article.objects.get(pk=self.brief.pk)
        self.assertEqual(brief.headline, self.brief.headline)
        self.assertEqual(Section.objects.filter(article=brief).count(), 2)
        self.assertEqual(Bullet.objects.filter(section__article=brief).count(), 6)
        return brief

    def delete_through_admin(self, url):
        # The confirmation page first (it lists what would go), then the POST.
        confirm = self.client.get(url)
        self.assertEqual(confirm.status_code, 200)
        self.assertNotContains(confirm, self.brief.headline + "</a>")
        response = self.client.post(url, {"post": "yes"})
        self.assertEqual(response.status_code, 302)

    def test_deleting_an_author_in_the_admin_keeps_their_briefs(self):
        self.delete_through_admin(f"/admin/articles/author/{self.author.pk}/delete/")
        brief = self.assertBriefIntact()
        self.assertEqual(brief.bylines.count(), 0)

    def test_deleting_a_category_in_the_admin_keeps_its_briefs(self):
        self.delete_through_admin(
            f"/admin/articles/category/{self.category.pk}/delete/"
        )
        self.assertIsNone(self.assertBriefIntact().category_id)

    def test_deleting_a_topic_in_the_admin_keeps_its_briefs(self):
        self.delete_through_admin(f"/admin/articles/topic/{self.topic.pk}/delete/")
        self.assertEqual(self.assertBriefIntact().topics.count(), 0)

    def test_bulk_deleting_authors_categories_and_topics_keeps_briefs(self):
        for model, pk in [
            ("author", self.author.pk),
            ("category", self.category.pk),
            ("topic", self.topic.pk),
        ]:
            with self.subTest(model=model):
                response = delete_selected(
                    self.client, f"/admin/articles/{model}/", [pk]
                )
                self.assertEqual(response.status_code, 302)
        self.assertBriefIntact()

    def test_a_section_label_in_use_is_not_deleted(self):
        used = label("Why it matters")
        Section.objects.filter(article=self.brief).update(label=used)
        with self.assertRaises(ProtectedError):
            used.delete()
        brief = self.assertBriefIntact()
        self.assertEqual({s.label for s in brief.sections.all()}, {used})

    def test_deleting_a_user_keeps_the_briefs_they_wrote_or_created(self):
        self.brief.created_by = self.author.user
        self.brief.save()
        self.author.user.delete()
        self.assertBriefIntact()

    def test_deleting_from_the_orm_keeps_briefs_too(self):
        self.author.delete()
        self.category.delete()
        self.topic.delete()
        self.assertBriefIntact()


class PublishedBriefDeletionTests(TestCase):
    def setUp(self):
        self.client.force_login(make_user("chief", superuser=True))

    def test_a_published_brief_has_no_delete_button(self):
        brief = make_brief()
        response = self.client.get(f"/admin/articles/article/{brief.pk}/change/")
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, f"/admin/articles/article/{brief.pk}/delete/")

    def test_its_delete_page_explains_and_sends_the_editor_back(self):
        brief = make_brief(headline="Ports reopen")
        url = f"/admin/articles/article/{brief.pk}/delete/"
        for method in (self.client.get, self.client.post):
            with self.subTest(method=method.__name__):
                response = method(url, {"post": "yes"}, follow=True)
                self.assertRedirects(
                    response, f"/admin/articles/article/{brief.pk}/change/"
                )
                self.assertContains(
                    response, "“Ports reopen” is published, so it cannot be deleted."
                )
                self.assertContains(response, "Unpublish it first")
        self.assertTrue(Article.objects.filter(pk=brief.pk).exists())

    def test_a_scheduled_brief_is_protected_too(self):
        from datetime import timedelta

        from django.utils import timezone

        brief = make_article(published_at=timezone.now() + timedelta(days=1))
        self.client.post(f"/admin/articles/article/{brief.pk}/delete/", {"post": "yes"})
        self.assertTrue(Article.objects.filter(pk=brief.pk).exists())

    def test_an_unpublished_brief_can_then_be_deleted(self):
        brief = make_brief()
        brief.status = Article.Status.UNPUBLISHED
        brief.save()
        url = f"/admin/articles/article/{brief.pk}/delete/"
        self.assertContains(self.client.get(url), "Are you sure")
        response = self.client.post(url, {"post": "yes"})
        self.assertRedirects(response, CHANGELIST)
        self.assertFalse(Article.objects.filter(pk=brief.pk).exists())

    def test_the_bulk_action_deletes_nothing_while_any_selected_brief_is_published(
        self,
    ):
        draft = make_article(status=Article.Status.DRAFT)
        live = make_brief(headline="Live one")
        for confirmed in (False, True):
            with self.subTest(confirmed=confirmed):
                response = delete_selected(
                    self.client,
                    CHANGELIST,
                    [draft.pk, live.pk],
                    confirmed=confirmed,
                    follow=True,
                )
                self.assertContains(response, "Nothing was deleted")
                self.assertContains(response, "“Live one”")
                self.assertNotContains(response, "Successfully deleted")
        self.assertEqual(Article.objects.filter(pk__in=[draft.pk, live.pk]).count(), 2)

    def test_the_bulk_action_still_deletes_briefs_that_are_not_published(self):
        drafts = [make_article(status=Article.Status.DRAFT) for _ in range(2)]
        pks = [d.pk for d in drafts]
        confirm = delete_selected(self.client, CHANGELIST, pks, confirmed=False)
        self.assertContains(confirm, "Are you sure")
        delete_selected(self.client, CHANGELIST, pks)
        self.assertFalse(Article.objects.filter(pk__in=pks).exists())

    def test_publishing_between_confirmation_and_post_stops_the_deletion(self):
        brief = make_article(status=Article.Status.DRAFT)
        url = f"/admin/articles/article/{brief.pk}/delete/"
        self.assertContains(self.client.get(url), "Are you sure")
        brief.publish()
        self.client.post(url, {"post": "yes"})
        self.assertTrue(Article.objects.filter(pk=brief.pk).exists())
        self.assertFalse(
            LogEntry.objects.filter(object_id=str(brief.pk), action_flag=3).exists()
        )

    def test_the_guard_is_on_the_registered_article_admin(self):
        from django.contrib import admin

        from articles.safety import PublishedBriefDeletionGuard

        self.assertIsInstance(
            admin.site._registry[Article], PublishedBriefDeletionGuard
        )
        self.assertTrue(get_user_model().objects.filter(username="chief").exists())


class LastLineOfDefenceTests(TestCase):
    """What the admin calls after its confirmation page, if a brief was
    published in between."""

    def setUp(self):
        from django.contrib import admin
        from django.test import RequestFactory

        self.model_admin = admin.site._registry[Article]
        self.request = RequestFactory().post("/")
        self.request.user = make_user("chief", superuser=True)

    def test_delete_model_refuses_a_published_brief(self):
        from django.core.exceptions import PermissionDenied

        brief = make_brief()
        with self.assertRaises(PermissionDenied):
            self.model_admin.delete_model(self.request, brief)
        self.assertTrue(Article.objects.filter(pk=brief.pk).exists())

    def test_delete_queryset_refuses_if_any_brief_is_published(self):
        from django.core.exceptions import PermissionDenied

        draft = make_article(status=Article.Status.DRAFT)
        live = make_brief()
        queryset = Article.objects.filter(pk__in=[draft.pk, live.pk])
        with self.assertRaises(PermissionDenied):
            self.model_admin.delete_queryset(self.request, queryset)
        self.assertEqual(queryset.count(), 2)
