"""for_page(): a brief's parts in its own query, the same as prefetching them."""

from datetime import timedelta

from django.db.models import Prefetch
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_init, pre_init
from django.test import TestCase
from django.utils import timezone

from articles import pageload
from articles.models import Article, Byline, Correction, Section, Topic
from tests.factories import (
    label,
    make_article,
    make_author,
    make_bullet,
    make_category,
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

    def test_built_parts_behave_like_models_loaded_from_the_database(self):
        article = Article.objects.for_page().get(pk=self.brief.pk)
        parts = [*article.sections.all(), *article.topics.all()]
        parts += [b.author for b in article.bylines.all()]
        for part in parts:
            with self.subTest(part=repr(part)):
                loaded = type(part).objects.get(pk=part.pk)
                fields = type(part)._meta.concrete_fields
                self.assertEqual(
                    {f.attname: getattr(part, f.attname) for f in fields},
                    {f.attname: getattr(loaded, f.attname) for f in fields},
                )
                self.assertFalse(part._state.adding)
                self.assertEqual(part._state.db, "default")
        author = article.bylines.all()[0].author
        self.assertIsInstance(author.photo, FieldFile)
        section = article.sections.all()[0]
        section.heading = "Saved from the page's copy"
        section.save()  # an UPDATE of the same row, not a second one
        self.assertEqual(
            Section.objects.filter(article=self.brief).count(),
            3,
        )
        self.assertEqual(
            Section.objects.get(pk=section.pk).heading, "Saved from the page's copy"
        )

    def test_receivers_of_model_initialisation_still_run(self):
        seen = []

        def before(sender, args, **kwargs):
            seen.append(("pre", args[1]))  # positional values: id, name, slug

        def after(sender, instance, **kwargs):
            seen.append(("post", instance.name))

        for signal, receiver, kind in (
            (post_init, after, "post"),
            (pre_init, before, "pre"),
        ):
            with self.subTest(kind):
                seen.clear()
                signal.connect(receiver, sender=Topic)
                try:
                    Article.objects.for_page().get(pk=self.brief.pk)
                finally:
                    signal.disconnect(receiver, sender=Topic)
                self.assertEqual(sorted(seen), [(kind, "Alpha"), (kind, "Zeta")])

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


class ArticlePageTests(TestCase):
    """pageload.article_page(): the article page's one prepared statement."""

    def setUp(self):
        self.brief = make_article(
            slug="rome-tokyo",
            category=make_category(name="World"),
            topics=[make_topic(name="Defence")],
            authors=[make_author(name="Zoë Rossi")],
            hero_renditions={"widths": [480, 960]},
        )
        section = make_section(self.brief, label=label("Why it matters"), text="Lead")
        make_bullet(section, "A bullet & more")
        Correction.objects.create(article=self.brief, text="A fix.")

    def concrete(self, article):
        return {
            f.attname: getattr(article, f.attname)
            for f in Article._meta.concrete_fields
            if f.attname not in pageload.PAGE_DEFERRED
        }

    def test_it_loads_what_the_page_queryset_loads_in_one_query(self):
        make_article(slug="no-category")
        for slug in ("rome-tokyo", "no-category"):
            with self.subTest(slug=slug):
                with self.assertNumQueries(1):
                    ours = pageload.article_page(slug)
                    page = snapshot(ours)
                    category = ours.category
                theirs = Article.objects.for_page().published().get(slug=slug)
                self.assertEqual(page, snapshot(theirs))
                self.assertEqual(self.concrete(ours), self.concrete(theirs))
                self.assertEqual(category, theirs.category)
        self.assertIsNone(pageload.article_page("no-category").category)
        self.assertEqual(pageload.article_page("rome-tokyo").category.name, "World")

    def test_only_published_briefs_are_found_as_published_defines_them(self):
        now = timezone.now()
        make_article(slug="draft", status=Article.Status.DRAFT)
        make_article(slug="later", published_at=now + timedelta(hours=1))
        self.assertIsNone(pageload.article_page("draft"))
        self.assertIsNone(pageload.article_page("later"))
        self.assertEqual(
            pageload.article_page("later", at=now + timedelta(hours=2)).slug, "later"
        )
        self.assertIsNone(
            pageload.article_page("rome-tokyo", at=now - timedelta(days=9))
        )
        self.assertIsNone(pageload.article_page("missing"))

    def test_odd_slugs_are_values_not_sql(self):
        for slug in ("rome-tokyo' OR '1'='1", '"; DROP TABLE x; --', "%", "_" * 300):
            with self.subTest(slug=slug):
                self.assertIsNone(pageload.article_page(slug))
        self.assertTrue(Article.objects.filter(slug="rome-tokyo").exists())

    def test_columns_the_page_never_shows_are_deferred_not_lost(self):
        article = pageload.article_page("rome-tokyo")
        self.assertEqual(article.get_deferred_fields(), set(pageload.PAGE_DEFERRED))
        with self.assertNumQueries(1):
            document = article.search_document
        self.assertEqual(document, Article.objects.get(pk=article.pk).search_document)
