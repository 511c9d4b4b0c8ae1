"""articles/prepared.py: a queryset compiled once gives what the ORM gives."""

from datetime import timedelta

from django.db.models import Count
from django.test import SimpleTestCase, TestCase
from django.utils import timezone

from articles import related
from articles.models import Article
from articles.prepared import Prepared
from tests.factories import make_article, make_topic


def headlines_since(slug, at, ids):
    return (
        Article.objects.filter(published_at__gte=at, pk__in=ids)
        .exclude(slug=slug)
        .order_by("pk")
        .values_list("headline", "published_at", "status")
    )


class PreparedTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.now = timezone.now()
        cls.topics = [make_topic() for _ in range(4)]
        cls.briefs = [
            make_article(
                headline=f"Brief {n}",
                published_at=cls.now - timedelta(days=n),
                topics=cls.topics[: 1 + n % 4],
            )
            for n in range(8)
        ]

    def test_rows_are_what_the_queryset_gives_for_any_values(self):
        query = Prepared(headlines_since)
        ids = [b.pk for b in self.briefs]
        cases = [
            ("brief-x", self.now - timedelta(days=3), ids),
            (self.briefs[1].slug, self.now - timedelta(days=30), ids[:5]),
            ("o'brien\"; --", self.now - timedelta(days=30), ids[2:7]),
            ("", self.now + timedelta(days=1), ids),
        ]
        for slug, at, chosen in cases:
            with self.subTest(slug=slug, count=len(chosen)):
                expected = list(headlines_since(slug, at, chosen))
                self.assertEqual(query.rows(slug=slug, at=at, ids=chosen), expected)
        # Converted as the ORM converts: aware datetimes, not SQLite's text.
        rows = query.rows(slug="", at=self.now - timedelta(days=30), ids=ids)
        self.assertTrue(all(row[1].tzinfo is not None for row in rows))

    def test_it_compiles_once_per_database_and_list_length(self):
        built = []

        def build(**values):
            built.append(values)
            return headlines_since(**values)

        query = Prepared(build)
        ids = [b.pk for b in self.briefs]
        query.rows(slug="a", at=self.now, ids=ids[:2])
        query.rows(slug="b", at=self.now, ids=ids[2:4])
        self.assertEqual(len(built), 1)
        query.rows(slug="c", at=self.now, ids=ids[:3])
        self.assertEqual(len(built), 2)

    def test_the_related_ranking_matches_the_orm(self):
        for brief in self.briefs:
            topic_ids = sorted(t.pk for t in brief.topics.all())
            with self.subTest(brief=brief.headline):
                expected = [
                    (r[0], r[1], r[2], r[3] or "")
                    for r in related._ranking(brief.pk, topic_ids, timezone.now())
                ]
                got = [
                    (b.headline, b.slug, b.published_at, b.category)
                    for b in related._rank(brief.pk, topic_ids)
                ]
                self.assertEqual(got, expected)
                self.assertTrue(got)


class PreparedMistakesTests(SimpleTestCase):
    def test_a_value_the_sql_does_not_use_is_an_error_at_compile_time(self):
        query = Prepared(
            lambda slug, pk: Article.objects.filter(slug=slug).values_list("pk")
        )
        with self.assertRaisesMessage(ValueError, "Placeholders not found"):
            query.statement("default", {"slug": "x", "pk": 1})

    def test_values_it_cannot_tell_apart_are_refused(self):
        query = Prepared(lambda **v: Article.objects.annotate(n=Count("pk")))
        for value in (True, 1.5, None):
            with self.subTest(value=value), self.assertRaises(TypeError):
                query.statement("default", {"value": value})
