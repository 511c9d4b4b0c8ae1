"""A NUL character in an admin address's query string is refused with a
clear 400, on every admin page.

PostgreSQL refuses NUL in text outright, so `?status=%00` on a changelist
(Django's own list filter) or `term=%00` on the autocomplete view was a
server error there; SQLite merely matched nothing.
"""

from django.apps import apps
from django.contrib import admin
from django.test import TestCase

from tests.factories import make_user


class NulInAdminQueryStringsTests(TestCase):
    def setUp(self):
        self.client.force_login(make_user("chief", superuser=True))

    def changelists(self):
        for model in apps.get_models():
            if not admin.site.is_registered(model):
                continue
            model_admin = admin.site.get_model_admin(model)
            opts = model._meta
            url = f"/admin/{opts.app_label}/{opts.model_name}/"
            filters = [f for f in model_admin.list_filter if isinstance(f, str)]
            yield url, filters

    def test_a_nul_in_a_changelist_filter_or_search_is_a_400_that_says_why(self):
        for url, filters in self.changelists():
            for name in ["q", *filters, "o", "p"]:
                with self.subTest(url=url, parameter=name):
                    response = self.client.get(f"{url}?{name}=%00")
                    self.assertEqual(response.status_code, 400)
                    self.assertContains(response, "NUL character", status_code=400)

    def test_a_nul_in_the_autocomplete_term_is_a_400(self):
        response = self.client.get(
            "/admin/autocomplete/",
            {
                "term": "\x00",
                "app_label": "articles",
                "model_name": "article",
                "field_name": "topics",
            },
        )
        self.assertEqual(response.status_code, 400)

    def test_ordinary_queries_still_work(self):
        response = self.client.get("/admin/articles/article/?q=ports")
        self.assertEqual(response.status_code, 200)
