"""Odd and oversized input in the admin forms: NUL bytes, bidi and zero-width
characters, invalid UTF-8, over-long values and absurd formset counts are a
form error or a clean save, never a 500."""

from django.test import TestCase

from articles.models import Article, Section
from tests.factories import make_article, make_user
from tests.helpers import brief_form


class OddUnicodeTests(TestCase):
    """NUL, bidi controls and zero-width characters: a form error or a clean
    save, never a 500 (PostgreSQL refuses NUL in text columns outright)."""

    def setUp(self):
        self.client.force_login(make_user("chief", superuser=True))

    def add_brief(self, **fields):
        data = brief_form(
            [(None, "Zoom in", "<p>lead</p>", ["<p>bullet</p>"])], **fields
        )
        return self.client.post("/admin/articles/article/add/", data)

    def test_nul_in_a_plain_field_is_a_form_error_that_keeps_the_input(self):
        response = self.add_brief(headline="Ports\x00 reopen", dek="Kept dek text.")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Null characters are not allowed.")
        self.assertContains(response, "Kept dek text.")
        self.assertFalse(Article.objects.exists())

    def test_nul_in_any_plain_field_of_a_section_is_a_form_error(self):
        data = brief_form([(None, "Zoom\x00in", "<p>lead</p>", ["<p>b</p>"])])
        response = self.client.post("/admin/articles/article/add/", data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Null characters are not allowed.")
        self.assertFalse(Article.objects.exists())

    def test_nul_in_rich_text_is_refused_or_stripped_never_stored(self):
        response = self.add_brief(intro="<p>Dock\x00ers</p>", dek="Kept dek text.")
        if response.status_code == 200:
            self.assertContains(response, "Null characters are not allowed.")
            self.assertContains(response, "Kept dek text.")
            self.assertFalse(Article.objects.exists())
        else:
            self.assertEqual(response.status_code, 302)
            self.assertEqual(Article.objects.get().intro, "<p>Dockers</p>")
        # Written around the form (an import, the shell), it is stripped.
        article = make_article(intro="<p>Dock\x00ers</p>", slug="nul-orm")
        article.refresh_from_db()
        self.assertEqual(article.intro, "<p>Dockers</p>")

    def test_nul_in_other_admin_forms_is_a_form_error(self):
        for url, data in [
            (
                "/admin/articles/category/add/",
                {"name": "W\x00orld", "slug": "world", "position": 0},
            ),
            ("/admin/articles/topic/add/", {"name": "T\x00", "slug": "t"}),
            (
                "/admin/articles/author/add/",
                {"name": "A\x00", "slug": "a", "bio": "b\x00"},
            ),
            ("/admin/articles/sectionlabel/add/", {"name": "L\x00", "position": 0}),
        ]:
            with self.subTest(url=url):
                response = self.client.post(url, data)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "Null characters are not allowed.")

    def test_bidi_and_zero_width_characters_round_trip(self):
        headline = "Ports \u202ereopen\u202c after the strike \u200b\u200d\u2066x\u2069"
        response = self.add_brief(headline=headline, slug="bidi")
        self.assertEqual(response.status_code, 302, response.content[:3000])
        self.assertEqual(Article.objects.get(slug="bidi").headline, headline)
        page = self.client.get("/briefs/bidi/")
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, headline)
        listing = self.client.get("/admin/articles/article/")
        self.assertContains(listing, headline)

    def test_invalid_utf8_in_a_form_post_is_not_a_500(self):
        body = b"headline=\xff\xfe\xfd&slug=bad-bytes&dek=%ff%fe"
        response = self.client.generic(
            "POST",
            "/admin/articles/article/add/",
            body,
            content_type="application/x-www-form-urlencoded",
        )
        self.assertLess(response.status_code, 500)

    def test_nul_in_reader_query_strings_and_paths_is_not_a_500(self):
        make_article(slug="ports")
        for url in [
            "/?page=%00",
            "/search/?q=%00",
            "/search/?q=ports%00drop",
            "/briefs/ports%00/",
            "/category/%00/",
            "/briefs/ports/?x=%00",
        ]:
            with self.subTest(url=url):
                self.assertLess(self.client.get(url).status_code, 500)


class OverLongInputTests(TestCase):
    def setUp(self):
        self.client.force_login(make_user("chief", superuser=True))

    def test_over_long_brief_fields_are_form_errors_that_keep_the_input(self):
        for field, limit in [("headline", 200), ("dek", 400), ("hero_alt", 250)]:
            with self.subTest(field=field):
                value = "w" * (limit + 1)
                data = brief_form(
                    [], **{field: value, "dek": "Kept dek."} | {field: value}
                )
                response = self.client.post("/admin/articles/article/add/", data)
                self.assertEqual(response.status_code, 200)
                self.assertContains(
                    response, f"Ensure this value has at most {limit} characters"
                )
                self.assertContains(response, value)
                self.assertFalse(Article.objects.exists())

    def test_an_over_long_section_label_is_a_form_error(self):
        data = brief_form([(None, "L" * 81, "<p>lead</p>", ["<p>b</p>"])])
        response = self.client.post("/admin/articles/article/add/", data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Ensure this value has at most 80 characters")

    def test_over_long_names_elsewhere_are_form_errors(self):
        for url, data, limit in [
            (
                "/admin/articles/category/add/",
                {"name": "c" * 81, "slug": "c", "position": 0},
                80,
            ),
            ("/admin/articles/topic/add/", {"name": "t" * 81, "slug": "t"}, 80),
            ("/admin/articles/author/add/", {"name": "a" * 121, "slug": "a"}, 120),
            (
                "/admin/articles/sectionlabel/add/",
                {"name": "l" * 61, "position": 0},
                60,
            ),
        ]:
            with self.subTest(url=url):
                response = self.client.post(url, data)
                self.assertEqual(response.status_code, 200)
                self.assertContains(
                    response, f"Ensure this value has at most {limit} characters"
                )

    def test_a_very_long_rich_intro_is_saved_or_refused_cleanly(self):
        intro = "<p>" + "word " * 40_000 + "</p>"
        response = self.client.post(
            "/admin/articles/article/add/", brief_form([], intro=intro)
        )
        self.assertLess(response.status_code, 500)

    def test_absurd_formset_counts_are_refused_not_crashed(self):
        # (A huge count such as 100000 is capped by Django at 2000 forms, but
        # rendering those takes a minute: see the report on inline max_num.)
        for total in ["-1", "many", "", "2.5"]:
            with self.subTest(total=total):
                data = brief_form([], slug=f"count-{total or 'empty'}")
                data["sections-TOTAL_FORMS"] = total
                response = self.client.post("/admin/articles/article/add/", data)
                self.assertIn(response.status_code, {200, 302})
                if response.status_code == 200:
                    self.assertContains(response, "errornote")
        # Never more sections than were really sent.
        self.assertFalse(Section.objects.exists())
