import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TestCase, TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from articles import search
from articles.models import Article
from tests.factories import (
    label,
    make_article,
    make_author,
    make_bullet,
    make_section,
)


def titles(response) -> list[str]:
    return re.findall(
        r'class="search-result__title"><a href="[^"]+">([^<]+)</a>',
        response.content.decode(),
    )


class SearchDocumentTests(TestCase):
    def test_it_holds_the_intro_and_every_section_and_bullet_in_order(self):
        with self.captureOnCommitCallbacks(execute=True):
            article = make_article(intro="<p>Opening <em>words</em>.</p>")
            section = make_section(
                article,
                label=label("Why it matters"),
                heading="A bold line.",
                text="Lead <strong>text</strong>.",
            )
            make_bullet(section, "First bullet.")
            make_bullet(section, "Second bullet.")
        article.refresh_from_db()
        self.assertEqual(
            article.search_document.splitlines(),
            [
                "Opening words.",
                "Why it matters",
                "A bold line.",
                "Lead text.",
                "First bullet.",
                "Second bullet.",
            ],
        )

    def test_it_follows_edits_and_deletes_of_bullets(self):
        with self.captureOnCommitCallbacks(execute=True):
            article = make_article()
            section = make_section(article, custom_label="Zoom in")
            bullet = make_bullet(section, "Old words.")
        with self.captureOnCommitCallbacks(execute=True):
            bullet.text = "New words."
            bullet.save()
        article.refresh_from_db()
        self.assertIn("New words.", article.search_document)
        self.assertNotIn("Old words.", article.search_document)
        with self.captureOnCommitCallbacks(execute=True):
            bullet.delete()
        article.refresh_from_db()
        self.assertNotIn("New words.", article.search_document)

    def test_one_transaction_of_many_saves_updates_the_brief_once(self):
        article = make_article()
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            section = make_section(article, custom_label="Zoom in")
            for n in range(5):
                make_bullet(section, f"Bullet {n}.")
        with CaptureQueriesContext(connection) as ctx:
            for callback in callbacks:
                callback()
        updates = [
            q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")
        ]
        # One for the search document, one for the rendered body.
        self.assertEqual(sum('"search_document"' in sql for sql in updates), 1)
        self.assertEqual(sum('"body_html"' in sql for sql in updates), 1)


class SearchPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.author = make_author()
        cls.harbour = make_article(
            headline="Harbour cranes return to work",
            dek="Ten cranes restarted on Monday.",
            authors=[cls.author],
        )
        cls.rates = make_article(
            headline="Central bank holds rates",
            dek="Inflation is easing.",
            authors=[cls.author],
        )
        section = make_section(cls.rates, custom_label="Zoom in")
        make_bullet(section, "Exporters count on the harbour reopening.")
        make_article(headline="Harbour secret draft", status=Article.Status.DRAFT)
        search.rebuild_index()

    def test_a_headline_match_ranks_above_a_bullet_match(self):
        response = self.client.get("/search/", {"q": "harbour"})
        self.assertEqual(
            titles(response),
            ["Harbour cranes return to work", "Central bank holds rates"],
        )

    def test_matches_are_highlighted_in_an_escaped_snippet(self):
        response = self.client.get("/search/", {"q": "exporters"})
        html = response.content.decode()
        self.assertIn("<mark>Exporters</mark>", html)
        self.assertEqual(titles(response), ["Central bank holds rates"])

    def test_drafts_are_never_found(self):
        self.assertNotIn(
            "secret draft", self.client.get("/search/?q=secret").content.decode()
        )

    def test_an_empty_query_gets_a_friendly_page(self):
        for query in ["", "   ", "\x00"]:
            response = self.client.get("/search/", {"q": query})
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, "Type a few words above")
        self.assertEqual(self.client.get("/search/").status_code, 200)

    def test_no_results_says_so(self):
        response = self.client.get("/search/", {"q": "zebras"})
        self.assertContains(response, "No briefs match “zebras”")

    def test_a_query_that_can_find_nothing_says_why(self):
        response = self.client.get("/search/", {"q": "-harbour"})
        self.assertContains(response, "add a word to look for")
        response = self.client.get("/search/", {"q": "the of"})
        self.assertContains(response, "add a more particular one")

    def test_a_very_long_query_is_cut_and_the_reader_told(self):
        response = self.client.get("/search/", {"q": "harbour " * 200})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "we used its first 200 characters")

    def test_bad_page_numbers_show_a_page_not_an_error(self):
        for page in ["0", "-1", "abc", "999"]:
            response = self.client.get("/search/", {"q": "harbour", "page": page})
            self.assertEqual(response.status_code, 200, page)

    def test_the_query_is_escaped_on_the_page(self):
        response = self.client.get("/search/", {"q": '<script>alert("x")</script>'})
        self.assertNotContains(response, "<script>alert")
        self.assertContains(response, "&lt;script&gt;")

    @override_settings(ARTICLES_PER_PAGE=1)
    def test_pagination_keeps_the_query(self):
        response = self.client.get("/search/", {"q": "harbour"})
        self.assertContains(response, 'href="/search/?q=harbour&amp;page=2"')

    def test_the_search_page_runs_the_same_queries_however_many_results(self):
        self.client.get("/")  # the navigation cache, as a running site has it
        with CaptureQueriesContext(connection) as few:
            self.client.get("/search/", {"q": "harbour"})
        for n in range(8):
            make_article(headline=f"Harbour story {n}", authors=[make_author()])
        search.rebuild_index()
        with CaptureQueriesContext(connection) as many:
            response = self.client.get("/search/", {"q": "harbour"})
        self.assertEqual(len(titles(response)), 10)
        self.assertEqual(len(few.captured_queries), len(many.captured_queries))
        self.assertLessEqual(len(many.captured_queries), 3)


SEARCH_PIECES = st.sampled_from(
    ["-", "--", "- ", '"', "'", " or ", "or", "(", ")", "!", "&", "|", ":", "\\"]
    + ["*", "<->", "_", " ", "harbour", "the", "x", "-!", '-"', "-&", "é", "٣"]
)


class OddQueryTests(HypothesisTestCase):
    @classmethod
    def setUpTestData(cls):
        make_article(headline="Harbour cranes return to work")
        search.rebuild_index()

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(st.text(max_size=300))
    def test_any_text_gets_a_page_never_an_error(self, query):
        response = self.client.get("/search/", {"q": query})
        self.assertEqual(response.status_code, 200)

    # Pieces of websearch syntax and the punctuation around it, in any order:
    # PostgreSQL's parser nests one NOT per dangling "-" and gives up past 32
    # ("tsquery stack too small").
    @settings(
        max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(
        st.one_of(
            st.lists(SEARCH_PIECES, max_size=120).map("".join),
            # One piece many times over, then anything: runs of operators.
            st.builds(
                lambda piece, times, tail: piece * times + tail,
                SEARCH_PIECES,
                st.integers(1, 100),
                SEARCH_PIECES,
            ),
        )
    )
    @example("-" * 40)
    @example("- " * 35 + "harbour")
    @example("-! " * 40 + "harbour")
    @example("x" + " -" * 40)
    @example('"' * 200)
    @example("or " * 66 + "harbour")
    @example("(" * 100 + "harbour" + ")" * 100)
    @example("harbour " * 100)
    def test_operator_shapes_get_a_page_never_an_error(self, query):
        response = self.client.get("/search/", {"q": query})
        self.assertEqual(response.status_code, 200)

    def test_operators_and_punctuation_get_a_page(self):
        for query in [
            '"unclosed',
            "-",
            "or or",
            "a & b | !c",
            "'; drop table",
            "%_%",
            "\\",
            "(((",
            "harbour:*",
            "harbour*",
            "*",
            "^harbour",
            "headline:harbour",
            "NEAR(harbour work)",
            "NEAR(",
            "x",
            "h",
            "\x00",
            "-" * 40,
            '"harbour',
        ]:
            with self.subTest(query=query):
                self.assertEqual(
                    self.client.get("/search/", {"q": query}).status_code, 200
                )


class SearchSyntaxTests(TestCase):
    """The page's promise, kept the same on SQLite and PostgreSQL."""

    @classmethod
    def setUpTestData(cls):
        cls.headline = make_article(headline="Tariffs rise on steel imports", dek="")
        cls.bullet = make_article(headline="Weekly market wrap", dek="")
        section = make_section(cls.bullet, custom_label="Zoom in")
        make_bullet(section, "Analysts expect higher tariffs next year.")
        cls.dek = make_article(headline="Trade talks stall", dek="New tariffs loom.")
        search.rebuild_index()

    def found(self, query) -> list:
        return list(search.search(query))

    def test_headline_beats_dek_beats_bullet(self):
        results = self.found("tariff")  # stemming: tariffs → tariff
        self.assertEqual(results, [self.headline, self.dek, self.bullet])
        self.assertGreater(results[0].rank, results[1].rank)
        self.assertGreater(results[1].rank, results[2].rank)

    def test_every_word_is_required(self):
        self.assertEqual(self.found("tariffs steel"), [self.headline])
        self.assertEqual(self.found("tariffs zebras"), [])

    def test_quotes_make_a_phrase(self):
        self.assertEqual(self.found('"higher tariffs"'), [self.bullet])
        self.assertEqual(self.found('"tariffs higher"'), [])
        self.assertEqual(self.found('"higher tariffs'), [self.bullet])  # unclosed

    def test_a_dash_leaves_a_word_or_a_phrase_out(self):
        self.assertEqual(self.found("tariffs -steel -talks"), [self.bullet])
        self.assertEqual(
            self.found('tariffs -"higher tariffs"'), [self.headline, self.dek]
        )

    def test_or_accepts_either_side_and_binds_looser_than_and(self):
        self.assertEqual(self.found("steel or talks"), [self.headline, self.dek])
        self.assertEqual(self.found("steel OR talks"), [self.headline, self.dek])
        self.assertEqual(
            self.found("tariffs steel or analysts"), [self.headline, self.bullet]
        )
        self.assertEqual(self.found("or steel or"), [self.headline])

    def test_exclusions_alone_find_nothing_rather_than_everything(self):
        self.assertEqual(self.found("-steel"), [])
        self.assertEqual(self.found("steel or -talks"), [self.headline])

    def test_one_letter_does_not_match_everything(self):
        plan_b = make_article(headline="Plan B for the port", dek="")
        search.rebuild_index()
        self.assertEqual(self.found("b"), [plan_b])
        self.assertEqual(self.found("x"), [])
        # "a" and "the" are too common to mean anything, as PostgreSQL decides.
        self.assertEqual(self.found("a"), [])
        self.assertEqual(self.found("the"), [])

    def test_operator_characters_are_read_as_punctuation(self):
        for query in [
            "steel*",
            "steel:*",
            "^steel",
            "(steel)",
            "steel AND",
            "NOT steel",
            "steel NOT",
            "+steel",
            "{steel}",
            "steel;",
        ]:
            with self.subTest(query=query):
                self.assertIn(self.headline, self.found(query))
        # FTS5's column filter and NEAR are plain words here.
        self.assertEqual(self.found("headline:steel"), [])
        self.assertEqual(self.found("NEAR(steel imports)"), [])

    def test_stray_dashes_keep_the_meaning_of_the_query(self):
        excluded = [self.bullet]
        self.assertEqual(self.found("tariffs --steel -talks"), excluded)
        self.assertEqual(self.found("tariffs - - - steel"), [self.headline])
        self.assertEqual(self.found("- " * 40 + "steel"), [self.headline])
        self.assertEqual(self.found("-" * 40), [])

    def test_the_snippet_marks_the_match_in_the_body_and_escapes_the_rest(self):
        section = make_section(self.headline, custom_label="Details")
        make_bullet(section, "Duties on 5 &lt; 6 &amp; aluminium.")
        search.rebuild_index()
        (article,) = self.found("aluminium")
        marked = search.snippet(article, "aluminium")
        # The label's line reads into the bullet's.
        self.assertIn(
            "Details: Duties on 5 &lt; 6 &amp; <mark>aluminium</mark>", marked
        )
        self.assertEqual(re.findall(r"<[^>]*>", marked), ["<mark>", "</mark>"])

    def test_a_headline_only_match_shows_the_dek(self):
        make_article(headline="Quarry reopens", dek="Jobs <return>.")
        search.rebuild_index()
        (found,) = self.found("quarry")
        self.assertEqual(search.snippet(found, "quarry"), "Jobs &lt;return&gt;.")

    def test_unpublished_briefs_are_never_found(self):
        make_article(headline="Tariffs draft", status=Article.Status.DRAFT)
        make_article(
            headline="Tariffs scheduled",
            published_at=timezone.now() + timedelta(hours=1),
        )
        search.rebuild_index()
        self.assertEqual(len(self.found("tariffs")), 3)
        with self.captureOnCommitCallbacks(execute=True):
            self.headline.status = Article.Status.DRAFT
            self.headline.save()
        self.assertEqual(self.found("steel"), [])

    def test_a_deleted_brief_leaves_the_index(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.bullet.delete()
        self.assertEqual(self.found("analysts"), [])
        self.assertEqual(self.found("tariffs"), [self.headline, self.dek])

    def test_a_saved_brief_is_found_by_its_new_words_after_the_commit(self):
        with self.captureOnCommitCallbacks(execute=True):
            brief = make_article(headline="Ferry timetable", dek="")
            make_bullet(make_section(brief, custom_label="Zoom in"), "Night boats.")
        self.assertEqual(self.found("night boats"), [brief])
        with self.captureOnCommitCallbacks(execute=True):
            brief.headline = "Bus timetable"
            brief.save()
        self.assertEqual(self.found("ferry"), [])
        self.assertEqual(self.found("bus"), [brief])


# Committed: SQLite's index is remade for a new language, and a virtual table
# remade inside a transaction that is then rolled back is left unusable.
class SearchLanguageTests(TransactionTestCase):
    def setUp(self):
        self.headline = make_article(headline="Tariffs rise on steel imports", dek="")
        make_article(headline="Trade talks stall", dek="New tariffs loom.")
        make_article(headline="Weekly market wrap", dek="Higher tariffs ahead.")

    def tearDown(self):
        search.rebuild_index()  # as SEARCH_LANGUAGE is again

    @override_settings(SEARCH_LANGUAGE="simple")
    def test_the_language_is_a_setting(self):
        search.rebuild_index()
        # The "simple" configuration does not stem: "tariff" no longer matches.
        self.assertEqual(list(search.search("tariff")), [])
        self.assertEqual(len(search.search("tariffs")), 3)
        # Nor does it know stop words.
        self.assertEqual(list(search.search("on")), [self.headline])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's index")
class PostgresIndexTests(TestCase):
    def test_the_vector_is_stored_and_indexed(self):
        article = make_article(headline="Tariffs rise on steel imports")
        search.rebuild_index()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                ["article_search_vector_gin"],
            )
            (definition,) = cursor.fetchone()
        self.assertIn("gin (search_vector)", definition)
        article.refresh_from_db()
        self.assertIn("'tariff':", article.search_vector)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index")
class SQLiteIndexTests(TestCase):
    def entries(self, word) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM articles_search WHERE articles_search MATCH %s",
                [f'"{word}"'],
            )
            return [pk for (pk,) in cursor.fetchall()]

    def test_rows_written_around_django_are_indexed_too(self):
        article = make_article(headline="Lighthouse keepers")
        self.assertEqual(self.entries("lighthouse"), [article.pk])
        Article.objects.filter(pk=article.pk).update(headline="Harbour pilots")
        self.assertEqual(self.entries("lighthouse"), [])
        self.assertEqual(self.entries("pilots"), [article.pk])
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM articles_article WHERE id = %s", [article.pk])
        self.assertEqual(self.entries("pilots"), [])

    def test_a_migrate_puts_back_triggers_a_table_rebuild_dropped(self):
        article = make_article(headline="Lighthouse keepers")
        # What Django's SQLite schema editor does to alter articles_article.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'articles_article'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER "{name}"')
        Article.objects.filter(pk=article.pk).update(headline="Harbour pilots")
        call_command("migrate", "articles", verbosity=0)
        self.assertEqual(self.entries("lighthouse"), [])
        self.assertEqual(self.entries("pilots"), [article.pk])
        Article.objects.filter(pk=article.pk).update(headline="Ferry crews")
        self.assertEqual(self.entries("ferry"), [article.pk])

    def vm_steps_to_count(self, query) -> int:
        """SQLite's virtual-machine steps (in hundreds) for the page's count."""
        steps = 0

        def step():
            nonlocal steps
            steps += 1
            return 0

        with CaptureQueriesContext(connection) as ctx:
            search.search(query).count()
        (count,) = ctx.captured_queries
        connection.connection.set_progress_handler(step, 100)
        try:
            connection.connection.execute(count["sql"]).fetchall()
        finally:
            connection.connection.set_progress_handler(None, 100)
        return steps

    def test_the_count_does_not_match_every_published_brief_one_by_one(self):
        make_article(headline="Lighthouse keepers")
        few = self.vm_steps_to_count("lighthouse")
        Article.objects.bulk_create(
            Article(
                headline=f"Other news {n}",
                slug=f"other-{n}",
                status=Article.Status.PUBLISHED,
                published_at=timezone.now() - timedelta(days=1),
            )
            for n in range(400)
        )
        many = self.vm_steps_to_count("lighthouse")
        # Walking the published briefs costs 8 steps each; running the match
        # on each, as the join alone made SQLite do, cost 37.
        self.assertLess((many - few) * 100 / 400, 20)

    def test_a_migrate_leaves_a_whole_index_alone(self):
        from articles.search import sqlite

        self.assertIs(sqlite.ensure_index(connection), False)


class RebuildCommandTests(TestCase):
    def test_it_indexes_rows_written_around_the_signals(self):
        from io import StringIO

        from django.core.management import call_command

        article = make_article()
        section = make_section(article, custom_label="Zoom in")
        Bullet = section.bullets.model
        Bullet.objects.bulk_create([Bullet(section=section, text="Bulk words.")])
        out = StringIO()
        call_command("rebuild_search_index", stdout=out)
        article.refresh_from_db()
        self.assertIn("Bulk words.", article.search_document)
        self.assertEqual(out.getvalue().strip(), "Indexed 1 brief.")
