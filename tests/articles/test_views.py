import re
from datetime import timedelta

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from tests.factories import (
    label,
    make_article,
    make_author,
    make_brief,
    make_bullet,
    make_category,
    make_section,
    make_topic,
    make_user,
)
from tests.helpers import world_trade_ada


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


class ArticlePageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.category, _, cls.author = world_trade_ada()
        cls.article = make_article(
            headline="Two capitals tighten ties",
            slug="two-capitals",
            dek="A call between ministers marks a shift.",
            intro="<p>The intro paragraph.</p>",
            category=cls.category,
            authors=[cls.author],
        )
        why = make_section(
            cls.article,
            position=0,
            label=label("Why it matters"),
            text="It reshapes alliances.",
        )
        zoom = make_section(
            cls.article,
            position=1,
            label=label("Zoom in"),
            heading="A deeper axis.",
            text="Integration speeds up.",
        )
        make_bullet(zoom, "Chiefs met in Rome.", position=0)
        make_bullet(zoom, "Systems are <strong>aligning</strong>.", position=1)
        custom = make_section(
            cls.article, position=2, custom_label="Rome is responding to"
        )
        make_bullet(custom, "Allied expectations.", position=0)
        cls.sections = [why, zoom, custom]

    def get(self):
        return self.client.get("/briefs/two-capitals/")

    def test_it_shows_the_parts_in_reading_order(self):
        body = text_of(self.get().content.decode())
        order = [
            "Home",
            "Two capitals tighten ties",  # breadcrumb
            "World",
            "Two capitals tighten ties",  # category, h1
            "A call between ministers marks a shift.",
            "Ada Reporter",
            "The intro paragraph.",
            "Why it matters",
            "It reshapes alliances.",
            "Zoom in",
            "A deeper axis.",
            "Integration speeds up.",
            "Chiefs met in Rome.",
            "Systems are aligning .",
            "Rome is responding to",
            "Allied expectations.",
        ]
        position = 0
        for piece in order:
            found = body.find(piece, position)
            self.assertGreaterEqual(found, 0, f"{piece!r} missing or out of order")
            position = found + len(piece)

    def test_each_section_is_a_heading_followed_by_its_bullets(self):
        html = self.get().content.decode()
        labels = re.findall(r'<h2 class="brief-section__label"[^>]*>([^<]+)</h2>', html)
        self.assertEqual(
            labels, ["Why it matters:", "Zoom in:", "Rome is responding to:"]
        )
        zoom = html.split(">Zoom in:</h2>")[1].split("</section>")[0]
        self.assertEqual(
            re.findall(r"<li>(.*?)</li>", zoom),
            ["Chiefs met in Rome.", "Systems are <strong>aligning</strong>."],
        )

    def test_it_has_one_h1_and_a_subscribe_slot(self):
        html = self.get().content.decode()
        self.assertEqual(html.count("<h1"), 1)
        self.assertIn("Subscribe to our newsletter", html)

    def test_it_follows_the_editors_reordering(self):
        why, zoom, custom = self.sections
        custom.position, why.position = 0, 2
        with self.captureOnCommitCallbacks(execute=True):
            custom.save()
            why.save()
        labels = re.findall(
            r'class="brief-section__label"[^>]*>([^<]+)<', self.get().content.decode()
        )
        self.assertEqual(
            labels, ["Rome is responding to:", "Zoom in:", "Why it matters:"]
        )

    def test_it_hides_drafts_scheduled_and_unpublished_briefs(self):
        for status, when in [
            (Article.Status.DRAFT, None),
            (Article.Status.REVIEW, None),
            (Article.Status.UNPUBLISHED, timezone.now()),
            (Article.Status.PUBLISHED, timezone.now() + timedelta(days=1)),
        ]:
            article = make_article(status=status, published_at=when)
            with self.subTest(status=status):
                self.assertEqual(
                    self.client.get(article.get_absolute_url()).status_code, 404
                )

    def test_it_hides_drafts_from_staff_too_on_the_public_url(self):
        draft = make_article(status=Article.Status.DRAFT)
        self.client.force_login(make_user("editor", staff=True))
        self.assertEqual(self.client.get(draft.get_absolute_url()).status_code, 404)

    def test_an_unknown_slug_is_a_404(self):
        self.assertEqual(self.client.get("/briefs/no-such-brief/").status_code, 404)

    def test_plain_fields_are_escaped(self):
        make_article(headline="<script>alert(1)</script>", slug="xss")
        html = self.client.get("/briefs/xss/").content.decode()
        self.assertNotIn("<script>alert(1)</script>", html)
        self.assertIn("&lt;script&gt;", html)


class ArticleQueryCountTests(TestCase):
    def count_queries(self, article) -> int:
        self.client.get("/")  # warm the navigation cache, as a running site has it
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(article.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        return len(ctx.captured_queries)

    def test_the_article_page_runs_the_same_queries_whatever_its_size(self):
        topics = [make_topic() for _ in range(4)]
        small = make_brief(
            sections=2, bullets=2, authors=[make_author()], topics=topics[:1]
        )
        large = make_brief(
            sections=12,
            bullets=8,
            authors=[make_author() for _ in range(3)],
            topics=topics,
        )

        small_count = self.count_queries(small)
        self.assertEqual(small_count, self.count_queries(large))
        self.assertLessEqual(small_count, 7)


class ListPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = make_category(name="World", slug="world")
        cls.economy = make_category(name="Economy", slug="economy")
        cls.topic = make_topic(name="Trade", slug="trade")
        cls.author = make_author(name="Bo Writer", slug="bo")
        cls.lead = make_article(
            headline="The lead brief",
            category=cls.world,
            authors=[cls.author],
            topics=[cls.topic],
        )
        cls.other = make_article(
            headline="Economy brief",
            category=cls.economy,
            published_at=timezone.now() - timedelta(days=1),
        )
        cls.draft = make_article(
            headline="Secret draft", status=Article.Status.DRAFT, category=cls.world
        )

    def test_home_shows_the_lead_and_the_latest_but_no_drafts(self):
        html = self.client.get("/").content.decode()
        self.assertIn("card--lead", html)
        self.assertLess(html.index("The lead brief"), html.index("Economy brief"))
        self.assertNotIn("Secret draft", html)

    def test_home_paginates(self):
        for _ in range(15):
            make_article(published_at=timezone.now() - timedelta(days=3))
        with self.settings(ARTICLES_PER_PAGE=10):
            first = self.client.get("/")
            second = self.client.get("/?page=2")
            missing = self.client.get("/?page=99")
        self.assertContains(first, 'rel="next"')
        self.assertContains(second, 'rel="prev"')
        self.assertEqual(missing.status_code, 404)

    def test_the_category_page_lists_only_its_briefs(self):
        response = self.client.get("/category/world/")
        self.assertContains(response, "The lead brief")
        self.assertNotContains(response, "Economy brief")
        self.assertNotContains(response, "Secret draft")

    def test_topic_and_author_pages_list_their_briefs(self):
        self.assertContains(self.client.get("/topic/trade/"), "The lead brief")
        self.assertNotContains(self.client.get("/topic/trade/"), "Economy brief")
        self.assertContains(self.client.get("/author/bo/"), "The lead brief")

    def test_unknown_category_topic_and_author_are_404s(self):
        for url in ["/category/nope/", "/topic/nope/", "/author/nope/"]:
            self.assertEqual(self.client.get(url).status_code, 404)

    def test_the_home_page_query_count_does_not_grow_with_the_list(self):
        self.client.get("/")
        with CaptureQueriesContext(connection) as few:
            self.client.get("/")
        for _ in range(10):
            make_article(authors=[make_author(), make_author()], category=self.world)
        with CaptureQueriesContext(connection) as many:
            self.client.get("/")
        self.assertEqual(len(few.captured_queries), len(many.captured_queries))
