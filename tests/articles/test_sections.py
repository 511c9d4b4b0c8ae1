"""A section's bullets may be a numbered list, and every renderer numbers it."""

import re
import xml.etree.ElementTree as ET

from django.test import TestCase

from articles import revisions
from articles.importer import parse_brief
from articles.models import Article, Revision
from articles.services import create_brief_from_parsed
from tests.factories import label, make_article, make_bullet, make_section, make_user

NS = {"content": "http://purl.org/rss/1.0/modules/content/"}
THE_PLAN = ["Merge the routes.", "Add night buses.", "Cut the fares."]


def brief_with_a_numbered_list():
    article = make_article(headline="Three steps to a cheaper bus", dek="A dek.")
    make_section(article, label=label("Why it matters"), text="Fares rise.")
    steps = make_section(article, custom_label="The plan", numbered=True)
    for text in THE_PLAN:
        make_bullet(steps, text)
    return article


def lists_in(html: str) -> list[tuple[str, list[str]]]:
    """Each <ul>/<ol> in `html` with its items' text."""
    return [
        (tag, re.findall(r"<li[^>]*>(.*?)</li>", items, re.S))
        for tag, items in re.findall(r"<(ul|ol)\b[^>]*>(.*?)</\1>", html, re.S)
    ]


class NumberedListRenderingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.article = brief_with_a_numbered_list()

    def lists_on_the_page(self):
        html = self.client.get(self.article.get_absolute_url()).content.decode()
        return lists_in(html[html.index('class="brief__body"') :])

    def test_the_reader_page_shows_a_numbered_list_as_an_ordered_list(self):
        self.assertIn(("ol", THE_PLAN), self.lists_on_the_page())

    def test_the_feed_shows_a_numbered_list_as_an_ordered_list(self):
        item = ET.fromstring(self.client.get("/feed/").content).find("channel/item")
        content = item.findtext("content:encoded", namespaces=NS)
        self.assertEqual(lists_in(content), [("ol", THE_PLAN)])

    def test_a_bulleted_section_stays_an_unordered_list(self):
        section = self.article.sections.get(custom_label="The plan")
        section.numbered = False
        with self.captureOnCommitCallbacks(execute=True):
            section.save()
        self.assertIn(("ul", THE_PLAN), self.lists_on_the_page())


class NumberedListEditingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.editor = make_user("editor", superuser=True)

    def test_the_admin_form_has_a_numbered_box_per_section(self):
        article = brief_with_a_numbered_list()
        self.client.force_login(self.editor)
        html = self.client.get(
            f"/admin/articles/article/{article.pk}/change/"
        ).content.decode()
        box = re.search(r'<input[^>]*name="sections-1-numbered"[^>]*>', html)
        self.assertIsNotNone(box)
        self.assertIn("checked", box.group(0))

    def test_a_pasted_numbered_list_is_saved_as_one(self):
        parsed = parse_brief(
            "A headline\n\nA dek.\n\nThe plan:\n1. Merge the routes.\n"
            "2. Add night buses.\n\nWhat's next:\n- A vote.\n"
        )
        article = create_brief_from_parsed(parsed)
        plan, nxt = article.sections.all()
        self.assertIs(plan.numbered, True)
        self.assertEqual(
            [b.text for b in plan.bullets.all()],
            ["Merge the routes.", "Add night buses."],
        )
        self.assertIs(nxt.numbered, False)

    def test_restoring_a_revision_brings_the_numbering_back(self):
        article = brief_with_a_numbered_list()
        revisions.record(article, note="Numbered")
        section = article.sections.get(custom_label="The plan")
        section.numbered = False
        section.save()
        revisions.restore(Revision.objects.get(note="Numbered"))
        restored = Article.objects.get(pk=article.pk).sections.get(
            custom_label="The plan"
        )
        self.assertIs(restored.numbered, True)
