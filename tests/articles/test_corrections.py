"""Corrections and updates on published briefs, and old slugs that keep working."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from articles.models import Article, Correction, SlugRedirect
from articles.roles import EDITOR, WRITER
from tests.factories import (
    change_form_data,
    make_article,
    make_brief,
    make_role_user,
)
from tests.helpers import brief_form

MORNING = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def with_correction(data: dict, kind: str, text: str) -> dict:
    n = int(data["corrections-TOTAL_FORMS"])
    data.update(
        {
            "corrections-TOTAL_FORMS": str(n + 1),
            f"corrections-{n}-kind": kind,
            f"corrections-{n}-text": text,
        }
    )
    return data


class CorrectionTests(TestCase):
    def setUp(self):
        self.editor = make_role_user("copydesk", EDITOR)
        self.client.force_login(self.editor)

    def test_an_editor_appends_one_and_readers_see_it_with_its_time(self):
        with time_machine.travel(MORNING, tick=False) as clock:
            article = make_brief(slug="bridge-closes", published_at=MORNING)
            clock.move_to(MORNING + timedelta(hours=3))
            data = with_correction(
                change_form_data(article),
                Correction.Kind.CORRECTION,
                "<p>An earlier version gave the wrong <em>date</em>.</p>",
            )
            # The page shows the brief as rendered when the save commits.
            with self.captureOnCommitCallbacks(execute=True):
                response = self.client.post(
                    f"/admin/articles/article/{article.pk}/change/", data
                )
            self.assertEqual(response.status_code, 302, response.content[:3000])

            page = self.client.get("/briefs/bridge-closes/")
        html = page.content.decode()
        self.assertIn("Corrections and updates", html)
        self.assertIn("An earlier version gave the wrong <em>date</em>.", html)
        self.assertIn(
            '<time datetime="2026-04-01T11:00:00+00:00">1 Apr 2026, 11:00</time>', html
        )
        # After the body and its sections.
        self.assertGreater(
            html.index("Corrections and updates"), html.index("Bullet 1.1")
        )
        self.assertIn('class="brief__updated"', html)

    def test_a_brief_just_published_says_nothing_about_updates(self):
        with time_machine.travel(MORNING, tick=False) as clock:
            article = make_brief(slug="fresh", status=Article.Status.DRAFT)
            clock.move_to(MORNING + timedelta(minutes=1))
            article.publish()  # published_at 8:01, saved (updated_at) 8:01
            clock.move_to(MORNING + timedelta(minutes=3))
            article.save()  # a typo fixed two minutes later
            fresh = self.client.get("/briefs/fresh/").content.decode()
            clock.move_to(MORNING + timedelta(hours=2))
            article.save()  # a real edit, two hours on
            edited = self.client.get("/briefs/fresh/").content.decode()
        self.assertNotIn('class="brief__updated"', fresh)
        self.assertIn('class="brief__updated"', edited)
        self.assertIn("1 Apr 2026, 10:00", edited)

    def test_saving_one_moves_the_updated_time_but_not_the_version(self):
        with time_machine.travel(MORNING, tick=False) as clock:
            article = make_brief(published_at=MORNING)
            version = article.version
            clock.move_to(MORNING + timedelta(days=1))
            Correction.objects.create(
                article=article, kind=Correction.Kind.UPDATE, text="New figures."
            )
        article.refresh_from_db()
        self.assertEqual(article.updated_at, MORNING + timedelta(days=1))
        self.assertEqual(article.version, version)

    def test_they_are_listed_oldest_first(self):
        article = make_brief(slug="ordered")
        with (
            time_machine.travel(MORNING, tick=False) as clock,
            self.captureOnCommitCallbacks(execute=True),
        ):
            Correction.objects.create(article=article, text="First fix.")
            clock.shift(timedelta(hours=1))
            Correction.objects.create(
                article=article, kind=Correction.Kind.UPDATE, text="Then an update."
            )
        html = self.client.get("/briefs/ordered/").content.decode()
        self.assertLess(html.index("First fix."), html.index("Then an update."))

    def test_their_text_is_sanitised(self):
        article = make_brief()
        correction = Correction.objects.create(
            article=article, text='<p onclick="x()">Fixed <script>bad()</script></p>'
        )
        self.assertEqual(correction.text, "Fixed")

    def test_the_page_needs_no_more_queries_for_more_corrections(self):
        article = make_brief(slug="many")
        Correction.objects.create(article=article, text="One.")

        def count():
            with CaptureQueriesContext(connection) as ctx:
                self.client.get("/briefs/many/")
            return len(ctx.captured_queries)

        count()  # the first request after logging in also touches the session
        one = count()
        for n in range(10):
            Correction.objects.create(article=article, text=f"Fix {n}.")
        self.assertEqual(count(), one)

    def test_writers_cannot_add_them(self):
        writer = make_role_user("w", WRITER)
        draft = make_brief(status=Article.Status.DRAFT, created_by=writer)
        self.client.force_login(writer)
        data = with_correction(change_form_data(draft), "correction", "<p>Sneaky.</p>")
        self.client.post(f"/admin/articles/article/{draft.pk}/change/", data)
        self.assertFalse(Correction.objects.exists())


class SlugRedirectTests(TestCase):
    def setUp(self):
        self.client.force_login(make_role_user("ed", EDITOR))

    def rename(self, article, slug):
        response = self.client.post(
            f"/admin/articles/article/{article.pk}/change/",
            change_form_data(article, slug=slug),
        )
        self.assertEqual(response.status_code, 302, response.content[:3000])

    def test_the_old_address_redirects_permanently(self):
        article = make_brief(slug="old-name")
        self.rename(article, "new-name")

        response = self.client.get("/briefs/old-name/")
        self.assertRedirects(response, "/briefs/new-name/", status_code=301)

    def test_every_earlier_address_leads_to_the_current_one(self):
        article = make_brief(slug="first")
        self.rename(article, "second")
        self.rename(article, "third")
        for old in ("first", "second"):
            self.assertRedirects(
                self.client.get(f"/briefs/{old}/"), "/briefs/third/", status_code=301
            )

    def test_going_back_to_an_old_slug_drops_its_redirect(self):
        article = make_brief(slug="alpha")
        self.rename(article, "beta")
        self.rename(article, "alpha")
        self.assertEqual(self.client.get("/briefs/alpha/").status_code, 200)
        self.assertEqual(
            list(SlugRedirect.objects.values_list("old_slug", flat=True)), ["beta"]
        )

    def test_a_draft_renamed_leaves_no_redirect(self):
        draft = make_article(status=Article.Status.DRAFT, slug="working-title")
        self.rename(draft, "final-title")
        self.assertFalse(SlugRedirect.objects.exists())

    def test_an_unpublished_brief_is_not_redirected_to(self):
        article = make_brief(slug="was-live")
        self.rename(article, "renamed")
        article.refresh_from_db()
        article.status = Article.Status.UNPUBLISHED
        article.save()
        self.assertEqual(self.client.get("/briefs/was-live/").status_code, 404)

    def add_brief(self, slug, headline="A different story"):
        return self.client.post(
            "/admin/articles/article/add/",
            brief_form([], headline=headline, slug=slug),
        )

    def test_the_admin_refuses_a_new_brief_at_another_briefs_old_address(self):
        article = make_brief(slug="ports-reopen", headline="Ports reopen at last")
        self.rename(article, "ports-reopen-after-strike")

        response = self.add_brief("ports-reopen")

        self.assertEqual(response.status_code, 200)
        self.assertFalse(Article.objects.filter(headline="A different story").exists())
        errors = " ".join(response.context["adminform"].form.errors["slug"])
        self.assertIn("“Ports reopen at last”", errors)
        self.assertIn("/briefs/ports-reopen/", errors)
        # What was typed stays in the form.
        # What was typed is kept (the headline box is a textarea that wraps).
        self.assertContains(response, "A different story</textarea>")
        self.assertRedirects(
            self.client.get("/briefs/ports-reopen/"),
            "/briefs/ports-reopen-after-strike/",
            status_code=301,
        )

    def test_the_admin_refuses_renaming_a_brief_to_another_briefs_old_address(self):
        article = make_brief(slug="ports-reopen", headline="Ports reopen at last")
        self.rename(article, "ports-reopen-after-strike")
        other = make_brief(slug="rail-strike")

        response = self.client.post(
            f"/admin/articles/article/{other.pk}/change/",
            change_form_data(other, slug="ports-reopen"),
        )

        self.assertEqual(response.status_code, 200)
        self.assertIn(
            "“Ports reopen at last”",
            " ".join(response.context["adminform"].form.errors["slug"]),
        )
        other.refresh_from_db()
        self.assertEqual(other.slug, "rail-strike")
        self.assertEqual(
            SlugRedirect.objects.get(old_slug="ports-reopen").article, article
        )

    def test_the_admin_names_the_brief_that_has_a_slug_now(self):
        make_brief(slug="taken", headline="The brief at that address")
        response = self.add_brief("taken")
        self.assertEqual(response.status_code, 200)
        errors = response.context["adminform"].form.errors["slug"]
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("“The brief at that address”", errors[0])

    def test_a_new_brief_at_an_old_address_wins(self):
        article = make_brief(slug="contested")
        self.rename(article, "moved-on")
        make_brief(slug="contested", headline="The new owner of the address")
        self.assertContains(
            self.client.get("/briefs/contested/"), "The new owner of the address"
        )
