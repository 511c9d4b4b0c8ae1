"""Revisions: a snapshot at every save, a readable diff, and restore."""

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from articles import revisions
from articles.models import Article, Revision, SectionLabel
from articles.roles import WRITER
from tests.factories import (
    change_form_data,
    label,
    make_article,
    make_brief,
    make_bullet,
    make_category,
    make_role_user,
    make_section,
    make_topic,
    make_user,
)


def change_url(article) -> str:
    return f"/admin/articles/article/{article.pk}/change/"


class SnapshotTests(TestCase):
    def test_it_holds_the_article_its_sections_and_bullets(self):
        world = make_category(name="World")
        article = make_article(
            headline="Ministers meet", intro="<p>Intro.</p>", category=world
        )
        article.topics.set([make_topic(name="Defence")])
        section = make_section(
            article, label=label("Zoom in"), heading="A deeper axis.", text="Lead."
        )
        make_bullet(section, "First <strong>point</strong>.")
        make_bullet(section, "Second point.")

        data = revisions.snapshot(article)

        self.assertEqual(data["headline"], "Ministers meet")
        self.assertEqual(data["category"], {"id": world.pk, "name": "World"})
        self.assertEqual([t["name"] for t in data["topics"]], ["Defence"])
        self.assertEqual(
            data["sections"],
            [
                {
                    "label_id": section.label_id,
                    "label": "Zoom in",
                    "custom_label": "",
                    "heading": "A deeper axis.",
                    "text": "Lead.",
                    "bullets": ["First <strong>point</strong>.", "Second point."],
                    "numbered": False,
                }
            ],
        )

    def test_every_admin_save_records_one(self):
        editor = make_user("ed", superuser=True)
        self.client.force_login(editor)
        article = make_brief(sections=2, bullets=2)
        for headline in ["First wording", "Second wording"]:
            response = self.client.post(
                change_url(article), change_form_data(article, headline=headline)
            )
            self.assertEqual(response.status_code, 302, response.content[:2000])

        history = list(article.revisions.order_by("created_at", "pk"))
        self.assertEqual(
            [r.snapshot["headline"] for r in history],
            ["First wording", "Second wording"],
        )
        self.assertEqual([r.created_by for r in history], [editor, editor])
        article.refresh_from_db()
        self.assertEqual(history[-1].article_version, article.version)
        self.assertEqual(len(history[-1].snapshot["sections"]), 2)
        self.assertEqual(len(history[-1].snapshot["sections"][1]["bullets"]), 2)


class ReadableDiffTests(TestCase):
    def base(self, **changes) -> dict:
        data = {
            "headline": "Port strike ends",
            "slug": "port-strike-ends",
            "dek": "Cargo moves.",
            "intro": "<p>Dockers voted.</p>",
            "category": None,
            "topics": [],
            "authors": [],
            "status": "draft",
            "published_at": None,
            "sections": [
                {
                    "label": "Why it matters",
                    "custom_label": "",
                    "heading": "",
                    "text": "Imports depend on it.",
                    "bullets": ["One third of imports.", "Prices may ease."],
                }
            ],
        }
        data.update(changes)
        return data

    def rows(self, old, new):
        return [(row.kind, str(row.html)) for row in revisions.compare(old, new)]

    def test_identical_versions_have_no_rows(self):
        self.assertEqual(self.rows(self.base(), self.base()), [])

    def test_a_changed_word_is_marked_inside_its_line(self):
        new = self.base(headline="Port strike finally ends")
        rows = self.rows(self.base(), new)
        self.assertIn(("removed", "Headline: Port strike ends"), rows)
        self.assertIn(("added", "Headline: Port strike <ins>finally</ins> ends"), rows)

    def test_bullets_and_sections_show_as_lines(self):
        new = self.base()
        new["sections"] = [
            dict(new["sections"][0], bullets=["One third of imports."]),
            {
                "label": None,
                "custom_label": "What shippers say",
                "heading": "",
                "text": "",
                "bullets": ["Relief."],
            },
        ]
        rows = self.rows(self.base(), new)
        self.assertIn(("removed", "  • Prices may ease."), rows)
        self.assertIn(("added", "▌ What shippers say"), rows)
        self.assertIn(("added", "  • Relief."), rows)

    def test_links_and_emphasis_stay_visible(self):
        self.assertEqual(
            revisions.readable(
                '<p>See <a href="https://example.com/?a=1&amp;b=2">the report</a>'
                " and <strong>act</strong>.</p><p>Next.</p>"
            ),
            ["See the report [https://example.com/?a=1&b=2] and **act**.", "Next."],
        )

    def test_text_is_escaped(self):
        new = self.base(dek="<script>alert(1)</script>")
        html = " ".join(html for _, html in self.rows(self.base(), new))
        self.assertNotIn("<script>", html)
        self.assertIn("&lt;script&gt;", html)

    def test_long_unchanged_stretches_are_folded(self):
        old = self.base()
        old["sections"][0]["bullets"] = [f"Bullet {n}." for n in range(20)]
        new = self.base()
        new["sections"][0]["bullets"] = [f"Bullet {n}." for n in range(20)]
        new["sections"][0]["bullets"][10] = "Bullet ten, rewritten."
        kinds = [kind for kind, _ in self.rows(old, new)]
        self.assertEqual(kinds.count("same"), 4)  # two lines either side
        self.assertEqual(kinds.count("gap"), 2)


class HistoryPageTests(TestCase):
    def setUp(self):
        self.editor = make_user("hist", superuser=True)
        self.client.force_login(self.editor)
        self.article = make_brief(headline="Original headline", sections=1, bullets=1)
        revisions.record(self.article, user=self.editor, note="Saved")
        self.article.headline = "Edited headline"
        self.article.save()
        revisions.record(self.article, user=self.editor, note="Saved")
        self.url = f"/admin/articles/article/{self.article.pk}/revisions/"

    def test_it_compares_the_last_two_by_default(self):
        response = self.client.get(self.url)
        self.assertContains(response, "Changes from version 1 to version 2")
        self.assertContains(response, "<del>Original</del>")
        self.assertContains(response, "<ins>Edited</ins>")

    def test_any_two_can_be_compared_in_either_order(self):
        old, new = self.article.revisions.order_by("pk")
        response = self.client.get(self.url, {"a": new.pk, "b": old.pk})
        self.assertContains(response, "Changes from version 1 to version 2")

    def test_nonsense_choices_fall_back_to_the_latest(self):
        response = self.client.get(self.url, {"a": "x", "b": "99999"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Changes from version 1 to version 2")

    def test_the_change_form_links_to_it(self):
        self.assertContains(self.client.get(change_url(self.article)), self.url)

    def test_its_queries_do_not_grow_with_the_history(self):
        def count():
            with CaptureQueriesContext(connection) as ctx:
                self.client.get(self.url)
            return len(ctx.captured_queries)

        count()  # the first request after logging in also touches the session
        few = count()
        for n in range(10):
            revisions.record(self.article, user=make_user(f"u{n}"), note="Saved")
        with CaptureQueriesContext(connection) as ctx:
            self.client.get(self.url)
        self.assertEqual(count(), few, [q["sql"] for q in ctx.captured_queries])


class RestoreTests(TestCase):
    def setUp(self):
        self.editor = make_user("restorer", superuser=True)
        self.client.force_login(self.editor)
        self.world = make_category(name="World")
        self.article = make_article(
            headline="First version", intro="<p>Old intro.</p>", category=self.world
        )
        section = make_section(self.article, label=label("Why it matters"), text="Old.")
        make_bullet(section, "Old bullet one.")
        make_bullet(section, "Old bullet two.")
        self.first = revisions.record(self.article, user=self.editor)

        # A later edit rewrites everything and drops a section's bullets.
        self.article.headline = "Second version"
        self.article.intro = "<p>New intro.</p>"
        self.article.category = None
        self.article.save()
        self.article.sections.all().delete()
        make_section(self.article, custom_label="Brand new", text="New.")
        revisions.record(self.article, user=self.editor)

    def restore_url(self, revision) -> str:
        return f"/admin/articles/article/{self.article.pk}/revisions/{revision.pk}/restore/"

    def test_the_confirmation_shows_what_will_change(self):
        response = self.client.get(self.restore_url(self.first))
        self.assertContains(response, "Restore version 1")
        self.assertContains(response, "<ins>First</ins>")
        self.assertEqual(Revision.objects.count(), 2)

    def test_restoring_brings_back_fields_sections_and_bullets(self):
        response = self.client.post(self.restore_url(self.first))
        self.assertRedirects(
            response, change_url(self.article), fetch_redirect_response=False
        )

        article = Article.objects.get(pk=self.article.pk)
        self.assertEqual(article.headline, "First version")
        self.assertEqual(article.intro, "<p>Old intro.</p>")
        self.assertEqual(article.category, self.world)
        sections = list(article.sections.all())
        self.assertEqual([s.display_label for s in sections], ["Why it matters"])
        self.assertEqual(
            [b.text for b in sections[0].bullets.all()],
            ["Old bullet one.", "Old bullet two."],
        )

    def test_restoring_is_itself_a_revision(self):
        self.client.post(self.restore_url(self.first))
        latest = self.article.revisions.first()
        self.assertEqual(latest.note, "Restored version 1")
        self.assertEqual(latest.created_by, self.editor)
        self.assertEqual(self.article.revisions.count(), 3)
        self.assertEqual(
            [r.kind for r in revisions.compare(self.first.snapshot, latest.snapshot)],
            [],
        )

    def test_publication_state_is_left_alone(self):
        self.article.status = Article.Status.UNPUBLISHED
        self.article.save()
        self.client.post(self.restore_url(self.first))
        self.article.refresh_from_db()
        self.assertEqual(self.article.status, Article.Status.UNPUBLISHED)

    def test_a_deleted_label_survives_as_a_custom_label(self):
        SectionLabel.objects.filter(name="Why it matters").delete()
        self.client.post(self.restore_url(self.first))
        section = self.article.sections.get()
        self.assertEqual(section.display_label, "Why it matters")
        self.assertIsNone(section.label)

    def test_restoring_never_takes_another_briefs_old_address(self):
        draft = make_article(status=Article.Status.DRAFT, slug="working-title")
        first = revisions.record(draft, user=self.editor)
        draft.slug = "final-title"
        draft.save()
        # Meanwhile another brief went out at that address, then moved.
        owner = make_article(slug="working-title")
        owner.slug = "working-title-2"
        owner.save()

        revisions.restore(first, user=self.editor)

        draft.refresh_from_db()
        self.assertEqual(draft.slug, "final-title")
        self.assertRedirects(
            self.client.get("/briefs/working-title/"),
            "/briefs/working-title-2/",
            status_code=301,
        )

    def test_a_writer_cannot_restore_a_published_brief(self):
        writer = make_role_user("w", WRITER)
        self.article.created_by = writer
        self.article.save()
        self.client.force_login(writer)
        response = self.client.post(self.restore_url(self.first))
        self.assertEqual(response.status_code, 403)
        self.article.refresh_from_db()
        self.assertEqual(self.article.headline, "Second version")

    def test_a_revision_of_another_brief_is_not_found(self):
        other = make_brief()
        response = self.client.post(
            f"/admin/articles/article/{other.pk}/revisions/{self.first.pk}/restore/"
        )
        self.assertEqual(response.status_code, 404)


class RevisionPreviewTests(TestCase):
    """A past version shown by the reader template, as restoring it would
    render it, with nothing saved."""

    setUp = RestoreTests.setUp  # version 1 filed in World; version 2 rewritten

    def preview_url(self, revision) -> str:
        return f"/admin/articles/article/{self.article.pk}/revisions/{revision.pk}/preview/"

    def test_it_shows_the_old_version_as_readers_would_see_it(self):
        page_before = Article.objects.get(pk=self.article.pk).page_html
        response = self.client.get(self.preview_url(self.first))
        self.assertContains(response, "Preview of version 1")
        self.assertContains(response, '<h1 class="brief__headline">First version</h1>')
        self.assertContains(response, "Old bullet two.")
        self.assertContains(response, ">World</a>")  # its category, as filed then
        self.assertNotContains(response, "Brand new")
        self.assertIn("no-store", response["Cache-Control"])
        self.assertEqual(response["X-Robots-Tag"], "noindex, nofollow")
        # Nothing was saved: not the words, the version, a revision or the page.
        stored = Article.objects.get(pk=self.article.pk)
        self.assertEqual(stored.headline, "Second version")
        self.assertEqual(stored.version, self.article.version)
        self.assertEqual(stored.page_html, page_before)
        self.assertEqual(stored.sections.get().custom_label, "Brand new")
        self.assertEqual(Revision.objects.count(), 2)

    def test_nothing_is_left_to_run_after_the_commit(self):
        with self.captureOnCommitCallbacks() as callbacks:
            self.client.get(self.preview_url(self.first))
        self.assertEqual(callbacks, [])

    def test_the_history_links_to_each_version_s_preview(self):
        history = self.client.get(
            f"/admin/articles/article/{self.article.pk}/revisions/"
        )
        for revision in Revision.objects.all():
            self.assertContains(history, self.preview_url(revision))

    def test_a_revision_of_another_brief_is_not_found(self):
        other = make_brief()
        response = self.client.get(
            f"/admin/articles/article/{other.pk}/revisions/{self.first.pk}/preview/"
        )
        self.assertEqual(response.status_code, 404)

    def test_someone_who_may_not_see_the_brief_is_refused(self):
        self.client.force_login(make_user("nobody", staff=True))
        response = self.client.get(self.preview_url(self.first))
        self.assertIn(response.status_code, (403, 404))
        self.assertNotIn(b"First version", response.content)
