"""Remembered URLs give exactly what reverse() and static() give."""

from django.templatetags.static import static
from django.test import SimpleTestCase, override_settings
from django.urls import clear_script_prefix, reverse, set_script_prefix

from articles.links import slug_url, static_url, url


class LinkTests(SimpleTestCase):
    def test_slug_urls_match_reverse(self):
        for name in ("articles:detail", "articles:category", "articles:topic"):
            for slug in ("a", "rome-tokyo-2035", "x_y"):
                with self.subTest(name=name, slug=slug):
                    self.assertEqual(
                        slug_url(name, slug), reverse(name, kwargs={"slug": slug})
                    )

    def test_urls_with_arguments_match_reverse(self):
        self.assertEqual(url("articles:home"), reverse("articles:home"))
        self.assertEqual(
            url("articles:archive-year", year=2026),
            reverse("articles:archive-year", kwargs={"year": 2026}),
        )
        self.assertEqual(
            url("articles:topic-feed", slug="energy"),
            reverse("articles:topic-feed", kwargs={"slug": "energy"}),
        )

    def test_a_site_under_a_path_prefix_keeps_it(self):
        url("articles:home")  # remembered without a prefix first
        set_script_prefix("/news/")
        try:
            self.assertEqual(url("articles:home"), "/news/")
            self.assertEqual(slug_url("articles:detail", "x"), "/news/briefs/x/")
        finally:
            clear_script_prefix()
        self.assertEqual(url("articles:home"), "/")

    def test_static_urls_follow_the_settings(self):
        self.assertEqual(static_url("css/site.css"), static("css/site.css"))
        with override_settings(STATIC_URL="/assets/"):
            self.assertEqual(static_url("css/site.css"), static("css/site.css"))
            self.assertTrue(static_url("css/site.css").startswith("/assets/"))
