"""Smart Brevity guidance: counts, reading time, warnings (advice, never a block)."""

from django.contrib.messages import get_messages
from django.test import SimpleTestCase, TestCase, override_settings
from hypothesis import given
from hypothesis import strategies as st

from articles import brevity
from articles.models import Article
from tests.factories import label, make_article, make_bullet, make_section, make_user
from tests.helpers import brief_form

LIMITS = {
    "WORDS_PER_MINUTE": 100,
    "HEADLINE_MAX_WORDS": 5,
    "BULLET_MAX_WORDS": 4,
    "SECTION_MAX_WORDS": 10,
    "SECTION_MAX_BULLETS": 2,
    "TOTAL_MAX_WORDS": 30,
}


def words(n: int, word: str = "word") -> str:
    return " ".join([word] * n)


def section(label="Why it matters", heading="", text="Lead.", bullets=()):
    return {"label": label, "heading": heading, "text": text, "bullets": list(bullets)}


def brief(sections, headline="Short headline", dek="", intro=""):
    return {"headline": headline, "dek": dek, "intro": intro, "sections": sections}


def codes(report) -> list[str]:
    return [advice.code for advice in report.warnings]


# Letters, digits, the underscore, punctuation and every kind of space that
# str.split() and the regular expressions might disagree on.
WORDISH = (
    st.sampled_from(
        list("aZé9_-—•*.,!?'")
        + ["\t", "\n", " ", "\u00a0", "\u2003", "\x1c", "\x85"]
        + ["\u200b", "\u3000", "\u0301", "٣", "ー"]
    )
    | st.characters()
)


class CountingTests(SimpleTestCase):
    def test_words_are_tokens_with_a_letter_or_digit(self):
        self.assertEqual(brevity.count_words("Rates rise — again, by 6%."), 5)
        self.assertEqual(brevity.count_words("  \n\t "), 0)
        self.assertEqual(brevity.count_words("• - * —"), 0)
        self.assertEqual(brevity.count_words("Rome–Tokyo axis, 2026"), 3)
        self.assertEqual(brevity.count_words("Shinjirō Koizumi"), 2)

    @given(st.text(alphabet=WORDISH, max_size=40))
    def test_the_count_is_tokens_with_an_alphanumeric_character(self, text):
        expected = sum(any(c.isalnum() for c in token) for token in text.split())
        self.assertEqual(brevity.count_words(text), expected)

    def test_reading_time_rounds_up_and_is_never_zero_for_text(self):
        self.assertEqual(brevity.reading_minutes(0, 230), 0)
        self.assertEqual(brevity.reading_minutes(1, 230), 1)
        self.assertEqual(brevity.reading_minutes(230, 230), 1)
        self.assertEqual(brevity.reading_minutes(231, 230), 2)

    def test_labels_compare_without_case_apostrophes_or_colon(self):
        self.assertEqual(
            brevity.label_key("  WHAT WE’RE  Watching: "), "what we're watching"
        )

    def test_markup_is_not_counted(self):
        report = brevity.analyse(
            brief(
                [section(text="<strong>Two</strong> <a href='x'>words</a>")],
                headline="One",
            ),
            LIMITS,
        )
        # headline 1 + label 3 + text 2
        self.assertEqual(report.words, 6)

    def test_the_one_pass_total_agrees_with_the_full_analysis(self):
        cases = [
            brief([]),
            brief([section(text="<strong>Two</strong> <a href='x'>words</a>")]),
            brief(
                [
                    section(label="", heading="Rome & Tokyo", text=""),
                    section(
                        label="Zoom in",
                        text="<p>One</p><p>two &amp; three</p>",
                        bullets=["<em>Four</em> five", "", "six<br>seven", "a–b 6%"],
                    ),
                    section(label="What we’re watching", bullets=["Profits < costs"]),
                ],
                headline="Italy & Japan: a jet",
                dek="Rates rise — again",
                intro="<p>In <b>2035</b>.</p><ul><li>Item</li></ul>",
            ),
        ]
        for structure in cases:
            with self.subTest(structure=structure):
                self.assertEqual(
                    brevity.total_words(structure),
                    brevity.analyse(structure, LIMITS).words,
                )


@override_settings(BREVITY=LIMITS)
class WarningTests(SimpleTestCase):
    def test_a_tidy_brief_has_no_warnings(self):
        report = brevity.analyse(brief([section(bullets=["Two words."])]))
        self.assertEqual(report.warnings, [])
        self.assertEqual(report.sections[0].bullets, 1)

    def test_a_long_headline(self):
        report = brevity.analyse(brief([section()], headline=words(6)))
        self.assertEqual(codes(report), ["headline_long"])
        self.assertEqual(
            report.warnings[0].message, "The headline has 6 words; aim for 5 or fewer."
        )

    def test_a_long_bullet_names_its_section_and_number(self):
        report = brevity.analyse(brief([section(bullets=["Fine.", words(5)])]))
        self.assertEqual(codes(report), ["bullet_long"])
        self.assertEqual(
            report.warnings[0].message,
            "Why it matters, bullet 2: 5 words; aim for 4 or fewer.",
        )

    def test_a_long_section_counts_heading_text_and_bullets(self):
        report = brevity.analyse(
            brief([section(heading=words(3), text=words(4), bullets=[words(4)])])
        )
        self.assertEqual(codes(report), ["section_long"])
        self.assertEqual(report.sections[0].words, 11)

    def test_too_many_bullets(self):
        report = brevity.analyse(brief([section(bullets=["a", "b", "c"])]))
        self.assertEqual(codes(report), ["too_many_bullets"])

    def test_a_section_with_neither_text_nor_bullets(self):
        report = brevity.analyse(
            brief(
                [
                    section(),
                    section(label="Zoom in", heading="Only a heading.", text=""),
                ]
            )
        )
        self.assertEqual(codes(report), ["section_empty"])
        self.assertEqual(
            report.warnings[0].message, "Zoom in: has neither text nor bullets."
        )

    def test_a_missing_why_it_matters(self):
        report = brevity.analyse(brief([section(label="Zoom in")]))
        self.assertEqual(codes(report), ["missing_why"])
        report = brevity.analyse(brief([section(label="WHY IT MATTERS:")]))
        self.assertEqual(codes(report), [])

    def test_too_long_overall_with_minutes(self):
        report = brevity.analyse(
            brief(
                [section(text=words(9)), section(label="Zoom in", text=words(9))],
                dek=words(10),
            )
        )
        self.assertIn("total_long", codes(report))
        self.assertEqual(report.minutes, 1)
        self.assertIn("about 1 min to read", report.warnings[-1].message)

    def test_thresholds_come_from_settings(self):
        with self.settings(BREVITY={**LIMITS, "HEADLINE_MAX_WORDS": 10}):
            self.assertEqual(
                codes(brevity.analyse(brief([section()], headline=words(6)))), []
            )


class SavedBriefTests(TestCase):
    def test_the_reader_sees_the_minutes_to_read(self):
        article = make_article(headline="Short", slug="short", dek=words(300))
        why = make_section(article, label=label("Why it matters"), text=words(100))
        make_bullet(why, words(100))
        expected = brevity.analyse(
            brevity.structure_of(Article.objects.for_page().get(pk=article.pk))
        ).minutes
        self.assertEqual(expected, 3)  # 503 words at 230 a minute

        response = self.client.get("/briefs/short/")
        self.assertContains(response, '<p class="brief__reading-time">3 min read</p>')

    def test_saving_in_the_admin_warns_but_saves(self):
        self.client.force_login(make_user("ed", superuser=True))
        long_bullet = words(45)
        data = brief_form(
            [(label("Zoom in").pk, "", "<p>Lead.</p>", [f"<p>{long_bullet}</p>"])]
        )
        response = self.client.post("/admin/articles/article/add/", data)

        self.assertEqual(response.status_code, 302)
        self.assertTrue(Article.objects.filter(slug="ports-reopen").exists())
        texts = [str(m) for m in get_messages(response.wsgi_request)]
        self.assertIn("Style: Zoom in, bullet 1: 45 words; aim for 40 or fewer.", texts)
        self.assertIn(
            "Style: No “Why it matters” section: tell readers why this brief matters.",
            texts,
        )

    def test_the_change_form_shows_the_figures(self):
        self.client.force_login(make_user("ed", superuser=True))
        article = make_article(headline="Four words headline here")
        make_section(article, label=label("Why it matters"), text=words(7))
        response = self.client.get(f"/admin/articles/article/{article.pk}/change/")
        report = response.context["brevity_report"]
        self.assertEqual(report.headline_words, 4)
        self.assertContains(
            response, f'<dd data-brevity="words">{report.words}</dd>', html=False
        )
        self.assertContains(response, "Nothing to tighten.")
