from django.test import TestCase
from django.utils import timezone

from newsletter import compose
from newsletter.models import Edition
from tests.articles.test_labels import (
    CUSTOM,
    STANDARD,
    brief_with_a_custom_label,
    colons_after,
)
from tests.articles.test_sections import brief_with_a_numbered_list, lists_in
from tests.newsletter.factories import make_edition, make_newsletter

LINKS = {"unsubscribe": "https://example.org/u/x/", "preferences": "https://p/"}


def put_in_the_archive(edition):
    """Freeze `edition` and mark it sent, as sending does, so the web archive
    shows it."""
    edition.snapshot = compose.build_snapshot(edition)
    edition.status = Edition.Status.SENT
    edition.started_at = timezone.now()
    edition.save()


class EditionLabelTests(TestCase):
    """An edition shows every label as “Label:”, once, in every part."""

    @classmethod
    def setUpTestData(cls):
        cls.article = brief_with_a_custom_label()
        cls.newsletter = make_newsletter(name="Morning", slug="morning")

    def edition(self):
        # A dek-less brief would lift “Why it matters” into the summary; keep
        # both labels among the sections.
        return make_edition(self.newsletter, briefs=[self.article])

    def test_the_html_and_text_parts_show_one_colon_after_each_label(self):
        _, text, html = compose.render(compose.build_snapshot(self.edition()), LINKS)
        self.assertEqual(colons_after(html, STANDARD, CUSTOM), [":", ":"])
        self.assertEqual(colons_after(text, STANDARD, CUSTOM), [":", ":"])

    def test_a_snapshot_frozen_with_a_colon_in_its_label_still_shows_one(self):
        snapshot = compose.build_snapshot(self.edition())
        for section in snapshot["items"][0]["sections"]:
            section["label"] += ":"  # as editions sent before the fix stored it
        _, text, html = compose.render(snapshot, LINKS)
        self.assertEqual(colons_after(html, STANDARD, CUSTOM), [":", ":"])
        self.assertEqual(colons_after(text, STANDARD, CUSTOM), [":", ":"])

    def test_the_web_archive_shows_one_colon_after_each_label(self):
        edition = self.edition()
        put_in_the_archive(edition)
        html = self.client.get(edition.get_absolute_url()).content.decode()
        self.assertEqual(colons_after(html, STANDARD, CUSTOM), [":", ":"])


class EditionNumberedListTests(TestCase):
    """A numbered section stays numbered in every part of an edition."""

    @classmethod
    def setUpTestData(cls):
        cls.article = brief_with_a_numbered_list()
        cls.newsletter = make_newsletter(name="Evening", slug="evening")

    def test_the_html_part_and_the_archive_use_an_ordered_list(self):
        edition = make_edition(self.newsletter, briefs=[self.article])
        _, _, html = compose.render(compose.build_snapshot(edition), LINKS)
        steps = ["Merge the routes.", "Add night buses.", "Cut the fares."]
        self.assertIn(("ol", steps), lists_in(html))

        put_in_the_archive(edition)
        archive = self.client.get(edition.get_absolute_url()).content.decode()
        self.assertIn(("ol", steps), lists_in(archive))

    def test_the_text_part_numbers_the_items(self):
        edition = make_edition(self.newsletter, briefs=[self.article])
        _, text, _ = compose.render(compose.build_snapshot(edition), LINKS)
        self.assertIn(
            "The plan:\n  1. Merge the routes.\n  2. Add night buses.\n"
            "  3. Cut the fares.\n",
            text,
        )

    def test_a_snapshot_from_before_numbering_renders_bullets(self):
        edition = make_edition(self.newsletter, briefs=[self.article])
        snapshot = compose.build_snapshot(edition)
        for section in snapshot["items"][0]["sections"]:
            section.pop("numbered", None)  # frozen before the key existed
        _, text, html = compose.render(snapshot, LINKS)
        self.assertIn("  - Merge the routes.", text)
        self.assertIn("ul", [tag for tag, _ in lists_in(html)])
