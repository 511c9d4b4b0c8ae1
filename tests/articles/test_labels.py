"""Section labels are stored bare and shown one way everywhere: “Label:”.

A label typed with its colon (“Italy is responding to:”) used to be stored
with it, so renderers that add a colon showed “to::” and the reader page
showed it with one colon while standard labels had none.
"""

import re

from django.test import SimpleTestCase, TestCase

from articles.forms import SectionForm
from articles.importer import ParsedBrief, ParsedSection
from articles.labels import clean_label, shown_label
from articles.models import SectionLabel
from articles.services import create_brief_from_parsed
from tests.factories import label, make_article, make_section, make_user

CUSTOM = "Italy is responding to"
STANDARD = "Why it matters"


def colons_after(text: str, *labels: str) -> list[str]:
    """The run of colons right after each label in `text`, tags removed."""
    plain = re.sub(r"<[^>]+>", "", text)
    return [
        colons
        for name in labels
        for colons in re.findall(re.escape(name) + r"\s*(:*)", plain)
    ]


def brief_with_a_custom_label():
    article = make_article(headline="Rome widens its reach", dek="A dek.")
    make_section(article, label=label(STANDARD), text="Ports drive exports.")
    custom = make_section(article, custom_label=f"{CUSTOM}:")
    custom.bullets.create(text="Pressure from allies.", position=0)
    return article


class LabelTextTests(SimpleTestCase):
    def test_clean_label_drops_trailing_colons_dashes_and_spaces(self):
        for typed, stored in [
            ("Why it matters:", "Why it matters"),
            ("Why it matters ::", "Why it matters"),
            ("Driving the news —", "Driving the news"),
            ("Zoom in –", "Zoom in"),
            ("Zoom  in\t- ", "Zoom in"),
            ("Catch up quick：", "Catch up quick"),
            ("Yes, but", "Yes, but"),
            (":", ""),
            (None, ""),
        ]:
            self.assertEqual(clean_label(typed), stored, typed)

    def test_shown_label_adds_one_colon_unless_the_label_ends_as_a_question(self):
        self.assertEqual(shown_label("Why it matters"), "Why it matters:")
        self.assertEqual(shown_label("Why it matters:"), "Why it matters:")
        self.assertEqual(shown_label("Why now?"), "Why now?")
        self.assertEqual(shown_label(""), "")


class StoredLabelTests(TestCase):
    def test_a_custom_label_typed_with_a_colon_is_stored_without_it(self):
        section = make_section(make_article(), custom_label=f"{CUSTOM}:")
        section.refresh_from_db()
        self.assertEqual(section.custom_label, CUSTOM)
        self.assertEqual(section.display_label, CUSTOM)

    def test_a_label_typed_with_a_dash_or_spaces_is_stored_without_them(self):
        for typed in (
            "Driving the news —",
            "Driving the news -",
            " Driving the news : ",
        ):
            section = make_section(make_article(), custom_label=typed)
            section.refresh_from_db()
            self.assertEqual(section.custom_label, "Driving the news", typed)

    def test_a_standard_label_is_stored_without_its_colon(self):
        made = SectionLabel.objects.create(name="Of note:")
        made.refresh_from_db()
        self.assertEqual(made.name, "Of note")

    def test_a_parsed_label_of_only_colons_or_spaces_becomes_a_numbered_name(self):
        parsed = ParsedBrief(
            headline="A headline",
            dek=None,
            sections=[
                ParsedSection(" : ", None, "Text.", []),
                ParsedSection("\x85", None, "More.", []),
            ],
        )
        article = create_brief_from_parsed(parsed)
        self.assertEqual(
            [s.display_label for s in article.sections.all()],
            ["Section 1", "Section 2"],
        )

    def test_the_section_form_refuses_a_custom_label_that_is_only_a_colon(self):
        form = SectionForm(data={"custom_label": " : ", "position": 0})
        self.assertFalse(form.is_valid())
        self.assertEqual(form.errors.as_data()["__all__"][0].code, "missing_label")

    def test_the_section_form_keeps_the_label_without_its_colon(self):
        form = SectionForm(data={"custom_label": f"{CUSTOM}:", "position": 0})
        form.is_valid()
        self.assertEqual(form.cleaned_data["custom_label"], CUSTOM)


class RenderedLabelTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.article = brief_with_a_custom_label()
        cls.editor = make_user("editor", superuser=True)

    def test_the_reader_page_shows_every_label_with_one_colon(self):
        html = self.client.get(self.article.get_absolute_url()).content.decode()
        shown = re.findall(r'class="brief-section__label"[^>]*>([^<]*)<', html)
        self.assertEqual(shown, [f"{STANDARD}:", f"{CUSTOM}:"])

    def test_the_feed_shows_every_label_with_one_colon(self):
        xml = self.client.get("/feed/").content.decode()
        body = re.sub(r"&lt;[^&]*&gt;", "", xml)
        self.assertEqual(colons_after(body, STANDARD, CUSTOM), [":", ":"])

    def test_the_brevity_panel_shows_every_label_with_one_colon(self):
        self.client.force_login(self.editor)
        url = f"/admin/articles/article/{self.article.pk}/change/"
        html = self.client.get(url).content.decode()
        panel = html[html.index('id="brevity-panel"') :]
        panel = panel[: panel.index("</section>")]
        self.assertEqual(colons_after(panel, STANDARD, CUSTOM), [":", ":"])

    def test_the_paste_review_shows_labels_as_readers_will_see_them(self):
        self.client.force_login(self.editor)
        response = self.client.post(
            "/admin/articles/article/import/",
            {
                "text": "A headline\n\nA dek.\n\nWhy it matters: Because.\n\n"
                f"{CUSTOM}:\n- One.\n- Two.\n",
                "_parse": "1",
            },
        )
        shown = re.findall(r'data-part="label">([^<]*)<', response.content.decode())
        self.assertEqual(shown, [f"{STANDARD}:", f"{CUSTOM}:"])
