"""for_page(): a brief's parts in its own query, the same as prefetching them."""

from datetime import timedelta

from django.db.models import Prefetch
from django.test import TestCase
from django.utils import timezone

from articles.models import Article, Byline, Correction, Section
from tests.factories import (
    label,
    make_article,
    make_author,
    make_bullet,
    make_section,
    make_topic,
)


def prefetched(queryset):
    """The same briefs loaded the ordinary way, for comparison."""
    return queryset.select_related("category").prefetch_related(
        Prefetch("bylines", queryset=Byline.objects.select_related("author")),
        "topics",
        "corrections",
        Prefetch(
            "sections",
            queryset=Section.objects.select_related("label").prefetch_related(
                "bullets"
            ),
        ),
    )


def snapshot(article) -> dict:
    """Everything a reader page reads under a brief, as plain values."""
    return {
        "bylines": [
            (
                b.pk,
                b.position,
                b.author.pk,
                b.author.name,
                b.author.slug,
                b.author.title,
                b.author.photo_renditions,
            )
            for b in article.bylines.all()
        ],
        "authors": [a.get_absolute_url() for a in article.byline_authors],
        "topics": [(t.pk, t.name, t.slug) for t in article.topics.all()],
        "corrections": [
            (c.pk, c.kind, c.get_kind_display(), c.text, c.created_at)
            for c in article.corrections.all()
        ],
        "sections": [
            (
                s.pk,
                s.position,
                s.display_label,
                s.label.name if s.label else None,
                s.heading,
                s.text,
                [(b.pk, b.position, b.text) for b in s.bullets.all()],
            )
            for s in article.sections.all()
        ],
        "minutes": article.reading_minutes,
    }


class ForPageTests(TestCase):
    def setUp(self):
        now = timezone.now()
        self.brief = make_article(
            headline="Rome and Tokyo build a jet",
            topics=[make_topic(name="Zeta"), make_topic(name="Alpha")],
        )
        # The second author added goes first: bylines follow their position.
        zoe = make_author(name="Zoë Rossi", title="Defence editor")
        aki = make_author(
            name="Aki Sato", slug="aki-sato", photo_renditions={"type": "image/png"}
        )
        Byline.objects.create(article=self.brief, author=zoe, position=5)
        Byline.objects.create(article=self.brief, author=aki, position=1)
        why = label("Why it matters")
        # Sections and bullets created out of order, one without a label,
        # one without bullets, one bullet with markup and an ampersand.
        second = make_section(self.brief, position=2, custom_label="Zoom in")
        first = make_section(self.brief, position=1, label=why, text="<em>Lead</em>")
        make_section(self.brief, position=3, heading="Nothing else", text="Only text.")
        make_bullet(second, "Third & last", position=9)
        make_bullet(second, "<strong>First</strong> bullet", position=0)
        make_bullet(first, "Only bullet", position=0)
        Correction.objects.create(
            article=self.brief, text="Later fix.", created_at=now + timedelta(hours=1)
        )
        Correction.objects.create(
            article=self.brief, kind="update", text="Earlier note.", created_at=now
        )
        self.empty = make_article(headline="Nothing under it yet")

    def test_it_loads_exactly_what_prefetching_loads(self):
        for pk in (self.brief.pk, self.empty.pk):
            with self.subTest(pk=pk):
                ours = Article.objects.for_page().get(pk=pk)
                theirs = prefetched(Article.objects).get(pk=pk)
                self.assertEqual(snapshot(ours), snapshot(theirs))

    def test_the_parts_come_in_reading_order(self):
        article = Article.objects.for_page().get(pk=self.brief.pk)
        page = snapshot(article)
        self.assertEqual(
            [name for _, _, name, *_ in page["sections"]][:2],
            ["Why it matters", "Zoom in"],
        )
        self.assertEqual(
            [text for _, _, text in page["sections"][1][-1]],
            ["<strong>First</strong> bullet", "Third &amp; last"],
        )
        self.assertEqual([name for _, name, _ in page["topics"]], ["Alpha", "Zeta"])
        self.assertEqual(page["authors"][0], "/author/aki-sato/")
        self.assertEqual(
            [text for *_, text, _ in page["corrections"]],
            ["Earlier note.", "Later fix."],
        )
        self.assertTrue(all(c[-1].tzinfo is not None for c in page["corrections"]))

    def test_one_query_loads_many_briefs_and_reading_them_runs_none(self):
        for _ in range(3):
            make_article(authors=[make_author()], topics=[make_topic()])
        with self.assertNumQueries(1):
            briefs = list(Article.objects.for_page())
        with self.assertNumQueries(0):
            for brief in briefs:
                snapshot(brief)
                str(brief.category)
        self.assertEqual(len(briefs), 5)

    def test_chained_querysets_keep_loading_the_parts(self):
        with self.assertNumQueries(1):
            found = Article.objects.for_page().filter(pk=self.brief.pk).in_bulk()
        with self.assertNumQueries(0):
            snapshot(found[self.brief.pk])

    def test_values_and_counts_are_left_alone(self):
        with self.assertNumQueries(1):
            self.assertEqual(Article.objects.for_page().count(), 2)
        with self.assertNumQueries(1):
            headlines = set(
                Article.objects.for_page().values_list("headline", flat=True)
            )
        self.assertIn("Nothing under it yet", headlines)

    def test_listings_load_only_the_bylines(self):
        with self.assertNumQueries(1):
            brief = Article.objects.for_listing().get(pk=self.brief.pk)
        with self.assertNumQueries(0):
            self.assertEqual(
                [a.name for a in brief.byline_authors], ["Aki Sato", "Zoë Rossi"]
            )
            self.assertEqual(str(brief.category), "None")
        self.assertNotIn("sections", brief._prefetched_objects_cache)
        # Asking for the page afterwards adds the other parts, once.
        with self.assertNumQueries(1):
            brief = Article.objects.for_listing().for_page().get(pk=self.brief.pk)
        self.assertEqual(snapshot(brief)["minutes"], 1)
