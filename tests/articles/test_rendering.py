"""articles/rendering.py: a brief's body is rendered once, when a change
commits, into stored columns every reader of the brief then uses."""

from django.core.management import call_command
from django.db import connection
from django.tasks import task_backends
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext

from articles import rendering, search
from articles.models import Article, Correction, Section
from newsletter import compose
from tests.factories import (
    label,
    make_article,
    make_author,
    make_brief,
    make_bullet,
    make_category,
    make_section,
    make_topic,
)
from tests.helpers import DUMMY_TASKS
from tests.newsletter.factories import make_edition, make_newsletter


class RenderOnSaveTests(TestCase):
    def test_a_saved_brief_stores_its_body_once_the_change_commits(self):
        author = make_author(name="Aki Sato")
        with self.captureOnCommitCallbacks(execute=True):
            article = make_brief(sections=2, bullets=2, authors=[author])
        article.refresh_from_db()
        self.assertIn('id="section-2"', article.body_html)
        self.assertIn("<li>Bullet 1.1 says something.</li>", article.body_html)
        self.assertIn(">Aki Sato</a>", article.byline_html)
        self.assertEqual(article.body_parts["minutes"], 1)

    def test_nothing_is_rendered_before_the_commit(self):
        # Not the factories: they render as a commit would.
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            article = Article.objects.create(headline="Not yet", slug="not-yet")
            Section.objects.create(article=article, custom_label="Zoom in")
        article.refresh_from_db()
        self.assertEqual(article.body_html, "")
        self.assertTrue(callbacks)

    def test_the_stored_body_is_sanitised(self):
        with self.captureOnCommitCallbacks(execute=True):
            article = make_article(intro="<p>Safe</p><script>alert(1)</script>")
            section = make_section(article, text='<b onclick="x()">Lead</b>')
            make_bullet(section, '<a href="javascript:evil()">Bad link</a>')
        article.refresh_from_db()
        self.assertIn("<p>Safe</p>", article.body_html)
        for hostile in ("<script", "onclick", "javascript:"):
            self.assertNotIn(hostile, article.body_html)

    def test_a_correction_re_renders_the_brief(self):
        with self.captureOnCommitCallbacks(execute=True):
            article = make_brief(sections=1, bullets=1)
        with self.captureOnCommitCallbacks(execute=True):
            Correction.objects.create(article=article, text="A fixed figure.")
        article.refresh_from_db()
        self.assertIn("A fixed figure.", article.body_html)
        self.assertIn("A fixed figure.", article.page_html)

    def test_the_page_and_its_head_are_stored_with_the_body(self):
        with self.captureOnCommitCallbacks(execute=True):
            article = make_brief(
                sections=1,
                bullets=1,
                headline="Ports & rates",
                category=make_category(name="Trade desk"),
                authors=[make_author(name="Aki Sato")],
                topics=[make_topic(name="Shipping")],
            )
        article.refresh_from_db()
        page, head = article.page_html, article.head_html
        self.assertTrue(page.startswith('<article class="brief">'), page[:40])
        self.assertTrue(page.endswith("</article>"), page[-40:])
        self.assertIn(article.body_html, page)
        self.assertIn(article.byline_html, page)
        self.assertIn(">Trade desk</a>", page)
        self.assertIn(">Shipping</a>", page)
        self.assertIn('<h1 class="brief__headline">Ports &amp; rates</h1>', page)
        self.assertIn('<meta property="og:title" content="Ports &amp; rates">', head)
        self.assertIn('"articleSection":"Trade desk"', head)
        self.assertIn('<meta property="article:tag" content="Shipping">', head)
        self.assertEqual(article.rendered_with, rendering.fingerprint())


class StoredBodyReadersTests(TestCase):
    """Every reader of a brief shows the stored rendering, not its rows."""

    @classmethod
    def setUpTestData(cls):
        cls.article = make_brief(sections=1, bullets=1, topics=[make_topic()])
        # update() sends no signal: only what is stored can show the marker.
        Article.objects.filter(pk=cls.article.pk).update(
            page_html='<article class="brief"><p>Stored page marker</p></article>',
            head_html='<meta property="og:title" content="Stored head marker">',
            card_html='<div class="card__body">Stored card marker</div>',
            lead_card_html='<div class="card__body">Stored lead card marker</div>',
            body_html='<div class="brief__body"><p>Stored marker</p></div>',
            byline_html='<span class="byline__authors">By Stored Writer</span>',
            body_parts={
                "minutes": 7,
                "authors": [],
                "topics": [],
                "sections": [
                    {
                        "id": 1,
                        "label": "Stored label",
                        "heading": "",
                        "lead": "Stored lead",
                        "bullets": ["Stored bullet"],
                        "numbered": False,
                    }
                ],
            },
        )

    def test_the_article_page_shows_the_stored_page_and_head(self):
        response = self.client.get(self.article.get_absolute_url())
        self.assertContains(response, "Stored page marker")
        self.assertContains(response, "Stored head marker")
        self.assertNotContains(response, "Bullet 0.0 says something.")
        self.assertNotContains(response, 'property="og:type"')

    def test_a_page_rendered_with_other_settings_is_rendered_again_when_shown(self):
        # What a deploy with new templates, or a move to a new address, leaves.
        Article.objects.filter(pk=self.article.pk).update(rendered_with="earlier")
        response = self.client.get(self.article.get_absolute_url())
        self.assertNotContains(response, "Stored page marker")
        self.assertContains(response, "Bullet 0.0 says something.")
        self.assertContains(response, 'property="og:type" content="article"')
        stored = Article.objects.get(pk=self.article.pk)
        self.assertEqual(stored.rendered_with, rendering.fingerprint())
        self.assertIn("Bullet 0.0 says something.", stored.page_html)

    def test_a_new_site_address_is_a_new_fingerprint(self):
        before = rendering.fingerprint()
        with override_settings(SITE_URL="https://news.example.org"):
            moved = rendering.fingerprint()
            response = self.client.get(self.article.get_absolute_url())
        self.assertNotEqual(moved, before)
        self.assertEqual(rendering.fingerprint(), before)
        self.assertContains(
            response,
            f'<link rel="canonical" href="https://news.example.org'
            f'{self.article.get_absolute_url()}">',
        )

    def test_listings_show_the_stored_cards(self):
        home = self.client.get("/")
        self.assertContains(home, "Stored lead card marker")
        self.assertNotContains(home, "Brief number")
        topic = self.client.get(self.article.topics.get().get_absolute_url())
        self.assertContains(topic, "Stored card marker")
        self.assertNotContains(topic, "Stored lead card marker")

    def test_a_card_rendered_with_other_settings_is_rendered_again_when_listed(self):
        Article.objects.filter(pk=self.article.pk).update(rendered_with="earlier")
        home = self.client.get("/")
        self.assertNotContains(home, "Stored lead card marker")
        self.assertContains(home, self.article.headline)
        stored = Article.objects.get(pk=self.article.pk)
        self.assertEqual(stored.rendered_with, rendering.fingerprint())
        self.assertIn(self.article.headline, stored.lead_card_html)

    def test_feeds_carry_the_stored_body(self):
        self.assertContains(self.client.get("/feed/"), "Stored marker")

    def test_a_feed_item_rendered_with_other_settings_is_rendered_again(self):
        Article.objects.filter(pk=self.article.pk).update(rendered_with="earlier")
        feed = self.client.get("/feed/")
        self.assertNotContains(feed, "Stored marker")
        self.assertContains(feed, "Bullet 0.0 says something.")
        stored = Article.objects.get(pk=self.article.pk)
        self.assertEqual(stored.rendered_with, rendering.fingerprint())

    def test_a_search_result_rendered_with_other_settings_is_rendered_again(self):
        search.update_index(self.article.pk)
        query = {"q": self.article.headline}
        self.assertContains(self.client.get("/search/", query), "By Stored Writer")
        Article.objects.filter(pk=self.article.pk).update(rendered_with="earlier")
        results = self.client.get("/search/", query)
        self.assertContains(results, self.article.headline)
        self.assertNotContains(results, "By Stored Writer")

    def test_an_edition_rendered_with_other_settings_is_rendered_again(self):
        edition = make_edition(make_newsletter(), briefs=[self.article])
        Article.objects.filter(pk=self.article.pk).update(rendered_with="earlier")
        [(_, article)] = compose.published_items(edition)
        item = compose.item_snapshot(article, None)
        self.assertNotEqual(item["sections"][0]["label"], "Stored label")
        self.assertEqual(
            item["sections"][0]["bullets"][0]["text"], "Bullet 0.0 says something."
        )

    def test_newsletter_editions_use_the_stored_sections(self):
        item = compose.item_snapshot(Article.objects.get(pk=self.article.pk), None)
        self.assertEqual(item["sections"][0]["label"], "Stored label")
        self.assertEqual(item["sections"][0]["lead"]["html"], "Stored lead")
        self.assertEqual(item["sections"][0]["bullets"][0]["html"], "Stored bullet")

    def test_the_article_page_reads_no_section_or_bullet_rows(self):
        self.client.get("/")
        with CaptureQueriesContext(connection) as ctx:
            self.client.get(self.article.get_absolute_url())
        sql = " ".join(q["sql"] for q in ctx.captured_queries)
        for table in ("articles_section", "articles_bullet", "articles_byline"):
            self.assertNotIn(table, sql)


@override_settings(TASKS=DUMMY_TASKS)
class SharedRenameTests(TestCase):
    """A rename re-renders the briefs that show the name, in a background task."""

    def run_tasks(self):
        """Run what was enqueued, as a worker would, and say what it was."""
        backend = task_backends["default"]
        queued, backend.results[:] = list(backend.results), []
        for result in queued:
            self.assertEqual(result.task.name, rendering.render_briefs.name)
            result.task.call(*result.args, **result.kwargs)
        return queued

    def rendered(self, article) -> Article:
        return Article.objects.get(pk=article.pk)

    def test_renaming_an_author_re_renders_their_briefs_in_a_task(self):
        author = make_author(name="Old Name")
        with self.captureOnCommitCallbacks(execute=True):
            brief = make_brief(sections=1, bullets=1, authors=[author])
            other = make_brief(sections=1, bullets=1)
        other_html = self.rendered(other).byline_html
        with self.captureOnCommitCallbacks(execute=True):
            author.name = "New Name"
            author.save()
        # Not inline: the save returns at once, the task does the work.
        self.assertIn("Old Name", self.rendered(brief).byline_html)
        [queued] = self.run_tasks()
        # The briefs to render, and the pages to tell afterwards: the
        # author's, and the brief's own (its teasers show the byline).
        shown = [f"author-{author.pk}", f"brief-{brief.pk}"]
        self.assertEqual(list(queued.args), [[brief.pk], shown])
        self.assertIn("New Name", self.rendered(brief).byline_html)
        self.assertEqual(self.rendered(other).byline_html, other_html)

    def test_the_task_tells_cached_pages_the_bodies_changed(self):
        from articles.http import content_version

        with self.captureOnCommitCallbacks(execute=True):
            brief = make_brief(sections=1, bullets=1)
        before = content_version().stamp
        with self.captureOnCommitCallbacks(execute=True):
            rendering.render_briefs.call([brief.pk])
        self.assertNotEqual(content_version().stamp, before)

    def test_renaming_a_label_re_renders_the_briefs_using_it(self):
        custom = label("A label to rename")
        with self.captureOnCommitCallbacks(execute=True):
            brief = make_article()
            make_section(brief, label=custom, text="Lead.")
        with self.captureOnCommitCallbacks(execute=True):
            custom.name = "Renamed label"
            custom.save()
        self.run_tasks()
        self.assertIn("Renamed label:", self.rendered(brief).body_html)

    def test_renaming_a_topic_re_renders_the_briefs_tagged_with_it(self):
        topic = make_topic(name="Old topic")
        with self.captureOnCommitCallbacks(execute=True):
            brief = make_brief(sections=1, bullets=0, topics=[topic])
        with self.captureOnCommitCallbacks(execute=True):
            topic.name = "New topic"
            topic.save()
        self.run_tasks()
        self.assertEqual(
            self.rendered(brief).body_parts["topics"][0]["name"], "New topic"
        )

    def test_renaming_a_category_re_renders_its_briefs_kicker_and_head(self):
        desk = make_category(name="Old desk")
        with self.captureOnCommitCallbacks(execute=True):
            brief = make_brief(sections=1, bullets=0, category=desk)
        with self.captureOnCommitCallbacks(execute=True):
            desk.name = "New desk"
            desk.save()
        self.assertIn(">Old desk</a>", self.rendered(brief).page_html)
        [queued] = self.run_tasks()
        self.assertEqual(queued.args[1], [f"category-{desk.pk}", "nav"])
        self.assertIn(">New desk</a>", self.rendered(brief).page_html)
        self.assertIn(">New desk</a>", self.rendered(brief).card_html)
        self.assertIn('"articleSection":"New desk"', self.rendered(brief).head_html)

    def test_deleting_a_topic_re_renders_the_briefs_tagged_with_it(self):
        topic = make_topic(name="Gone topic")
        with self.captureOnCommitCallbacks(execute=True):
            brief = make_brief(sections=1, bullets=0, topics=[topic])
        with self.captureOnCommitCallbacks(execute=True):
            topic.delete()
        self.run_tasks()
        self.assertEqual(self.rendered(brief).body_parts["topics"], [])


class RenderBriefsCommandTests(TestCase):
    def test_it_renders_every_brief_again(self):
        with self.captureOnCommitCallbacks(execute=True):
            first = make_brief(sections=1, bullets=1)
            second = make_brief(sections=2, bullets=0, status=Article.Status.DRAFT)
        expected = {a.pk: a.body_html for a in Article.objects.all()}
        Article.objects.update(body_html="", byline_html="", body_parts={})
        with self.captureOnCommitCallbacks(execute=True):
            call_command("render_briefs", verbosity=0)
        for article in (first, second):
            article.refresh_from_db()
            self.assertEqual(article.body_html, expected[article.pk])
            self.assertTrue(article.body_html)
