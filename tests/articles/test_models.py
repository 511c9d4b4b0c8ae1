from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.test import TestCase
from django.utils import timezone

from articles.models import (
    Article,
    Author,
    Category,
    SectionLabel,
    SlugRedirect,
    Topic,
)
from tests.factories import (
    label,
    make_article,
    make_author,
    make_bullet,
    make_filed_brief,
    make_section,
)


class ArticleQuerySetTests(TestCase):
    def test_published_includes_only_published_briefs_whose_time_has_come(self):
        live = make_article()
        make_article(status=Article.Status.DRAFT)
        make_article(status=Article.Status.REVIEW)
        make_article(status=Article.Status.UNPUBLISHED, published_at=timezone.now())
        make_article(published_at=timezone.now() + timedelta(hours=1))
        make_article(published_at=None)

        self.assertEqual(list(Article.objects.published()), [live])

    def test_it_orders_newest_first(self):
        older = make_article(published_at=timezone.now() - timedelta(days=2))
        newer = make_article(published_at=timezone.now() - timedelta(days=1))

        self.assertEqual(list(Article.objects.published()), [newer, older])


class ArticleTests(TestCase):
    def test_it_requires_a_unique_slug(self):
        make_article(slug="same")
        with self.assertRaises(IntegrityError):
            make_article(slug="same")

    def test_publish_stamps_the_time_once(self):
        article = make_article(status=Article.Status.DRAFT)
        article.publish()
        first = article.published_at
        article.publish()

        self.assertIs(article.is_published, True)
        self.assertEqual(article.published_at, first)

    def test_it_keeps_byline_order(self):
        first, second = make_author(name="Zed"), make_author(name="Amy")
        article = make_article(authors=[first, second])

        self.assertEqual(article.byline_authors, [first, second])

    def test_deleting_a_category_topic_or_author_keeps_the_brief(self):
        article = make_filed_brief(category="world", topic="trade", author="ana")
        Category.objects.get(slug="world").delete()
        Topic.objects.get(slug="trade").delete()
        Author.objects.get(slug="ana").delete()

        article.refresh_from_db()
        self.assertIsNone(article.category)
        self.assertEqual(article.byline_authors, [])

    def test_validation_refuses_a_slug_that_redirects_to_another_brief(self):
        owner = make_article(slug="old-address", headline="The first brief")
        owner.slug = "new-address"
        owner.save()

        newcomer = Article(headline="Another brief", slug="old-address")
        with self.assertRaises(ValidationError) as caught:
            newcomer.full_clean()

        self.assertEqual(caught.exception.error_dict["slug"][0].code, "slug_taken")
        self.assertIn("“The first brief”", caught.exception.message_dict["slug"][0])

    def test_a_slug_that_is_no_slug_is_a_validation_error_on_any_database(self):
        # The ownership check must not send a NUL to PostgreSQL, which
        # refuses it with an error instead of finding nothing.
        with self.assertRaises(ValidationError) as caught:
            Article(headline="Ports", slug="ports\x00").full_clean()
        self.assertIn("slug", caught.exception.message_dict)

    def test_a_brief_may_take_back_its_own_old_slug(self):
        article = make_article(slug="old-address")
        article.slug = "new-address"
        article.save()

        article.slug = "old-address"
        article.full_clean()
        article.save()

        self.assertEqual(
            list(SlugRedirect.objects.values_list("old_slug", "article")),
            [("new-address", article.pk)],
        )

    def test_the_importer_never_picks_another_briefs_old_address(self):
        from articles.services import unique_slug

        owner = make_article(slug="ports-reopen")
        owner.slug = "ports-reopen-today"
        owner.save()

        slug = unique_slug("Ports reopen")

        self.assertEqual(slug, "ports-reopen-2")
        Article(headline="Ports reopen", slug=slug).full_clean()

    def test_its_url_uses_the_slug(self):
        self.assertEqual(make_article(slug="x-y").get_absolute_url(), "/briefs/x-y/")


class SectionTests(TestCase):
    def test_the_migration_seeds_the_standard_labels(self):
        names = set(SectionLabel.objects.values_list("name", flat=True))
        for expected in [
            "Why it matters",
            "Yes, but",
            "What we're watching",
            "Go deeper",
        ]:
            self.assertIn(expected, names)

    def test_a_custom_label_wins_over_a_standard_one(self):
        article = make_article()
        standard = make_section(article, label=label("Zoom in"))
        custom = make_section(article, custom_label="Italy is responding to")

        self.assertEqual(standard.display_label, "Zoom in")
        self.assertEqual(custom.display_label, "Italy is responding to")

    def test_sections_and_bullets_keep_their_positions(self):
        article = make_article()
        later = make_section(article, position=2, custom_label="B")
        earlier = make_section(article, position=1, custom_label="A")
        make_bullet(earlier, "second", position=5)
        make_bullet(earlier, "first", position=0)

        self.assertEqual(list(article.sections.all()), [earlier, later])
        self.assertEqual([b.text for b in earlier.bullets.all()], ["first", "second"])

    def test_a_label_in_use_cannot_be_deleted(self):
        article = make_article()
        extra = SectionLabel.objects.create(name="Temporary label")
        section = make_section(article, label=extra)

        with self.assertRaises(ProtectedError):
            extra.delete()

        section.refresh_from_db()
        self.assertEqual(section.label, extra)
        self.assertEqual(section.display_label, "Temporary label")

    def test_a_label_no_section_uses_can_be_deleted(self):
        extra = SectionLabel.objects.create(name="Temporary label")
        extra.delete()
        self.assertFalse(SectionLabel.objects.filter(name="Temporary label").exists())
