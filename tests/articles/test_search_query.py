import re
import sqlite3

from django.test import SimpleTestCase
from hypothesis import example, given, settings
from hypothesis import strategies as st

from articles.search.query import (
    ENGLISH_STOP_WORDS,
    MAX_EXCLUSIONS,
    MAX_TERMS,
    Term,
    parse,
    to_fts5,
    to_websearch,
)


def read(text):
    return parse(text, ENGLISH_STOP_WORDS)


class ParseTests(SimpleTestCase):
    def test_words_are_required_together(self):
        self.assertEqual(
            read("Harbour cranes"),
            ((Term(("harbour",), "Harbour"), Term(("cranes",), "cranes")),),
        )

    def test_quotes_make_a_phrase_without_stop_words_at_its_ends(self):
        self.assertEqual(
            read('"the state of the art"'),
            ((Term(("state", "of", "the", "art"), '"the state of the art"'),),),
        )

    def test_an_unclosed_quote_runs_to_the_end(self):
        self.assertEqual(
            read('"higher tariffs'),
            ((Term(("higher", "tariffs"), '"higher tariffs"'),),),
        )

    def test_a_dash_before_a_word_or_phrase_excludes_it(self):
        (group,) = read('steel -tariffs --talks -"trade war" covid-19 - x')
        self.assertEqual(
            [(t.words, t.excluded) for t in group],
            [
                (("steel",), False),
                (("tariffs",), True),
                (("talks",), True),
                (("trade", "war"), True),
                (("covid", "19"), False),
                (("x",), False),
            ],
        )

    def test_or_separates_alternatives_and_dangling_ors_vanish(self):
        self.assertEqual(
            [[t.words for t in group] for group in read("or a b OR c or or")],
            [[("b",)], [("c",)]],
        )

    def test_alternatives_of_only_exclusions_or_stop_words_are_dropped(self):
        self.assertEqual(read("-steel"), ())
        self.assertEqual(read("the -steel"), ())
        self.assertEqual(read("don't"), ())
        self.assertEqual(len(read("harbour or -steel")), 1)

    def test_punctuation_separates_words(self):
        (group,) = read("headline:steel NEAR(x*) a&b|!c")
        self.assertEqual(
            [t.words for t in group],
            [("headline",), ("steel",), ("near",), ("x",), ("b",), ("c",)],
        )

    def test_no_more_than_the_limits_reach_a_database(self):
        (group,) = read(" ".join(f"w{n} -x{n}" for n in range(40)))
        self.assertEqual(len(group), MAX_TERMS)
        self.assertEqual(sum(t.excluded for t in group), MAX_EXCLUSIONS)


class RenderTests(SimpleTestCase):
    def test_fts5_gets_quoted_strings_and_its_own_operators(self):
        self.assertEqual(
            to_fts5(read('steel "higher tariffs" -talks or near')),
            '(("steel" AND "higher tariffs") NOT ("talks")) OR (("near"))',
        )

    def test_postgresql_gets_websearch_text_with_joined_words_kept(self):
        self.assertEqual(
            to_websearch(read('covid-19 U.S. -"trade war" or --steel x')),
            'covid-19 U.S -"trade war" or -steel x',
        )


QUERY_PIECES = st.sampled_from(
    ['"', "-", "--", " ", "or", " OR ", "NEAR", "AND", "NOT", "(", ")", ":", "*"]
    + ["^", "+", "{", "}", "harbour", "the", "a", "x", "é", "٣", "\u19b0", "'"]
)
FTS5 = sqlite3.connect(":memory:")
FTS5.execute(
    "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='porter unicode61 "
    "remove_diacritics 2')"
)
FTS5.execute("INSERT INTO t(body) VALUES ('harbour cranes x é ٣')")


class AnyQueryTests(SimpleTestCase):
    @settings(max_examples=300, deadline=None)
    @given(st.one_of(st.text(max_size=200), st.lists(QUERY_PIECES).map("".join)))
    @example("-" * 40)
    @example('"' * 7)
    @example("\x00")
    @example("NEAR(harbour cranes, 2)")
    @example("body:harbour")
    @example("\u19b0 harbour")
    def test_any_text_becomes_a_query_fts5_accepts(self, text):
        query = read(text)
        if not query:
            return
        expression = to_fts5(query)
        FTS5.execute("SELECT rowid FROM t WHERE t MATCH ?", [expression]).fetchall()
        # Only quoted strings and our operators.
        bare = re.sub(r'"[^"]*"', "", expression)
        self.assertRegex(bare, r"^[()\sANDORT]*$")
        self.assertNotIn('""', expression)

    @settings(max_examples=300, deadline=None)
    @given(st.one_of(st.text(max_size=200), st.lists(QUERY_PIECES).map("".join)))
    def test_websearch_text_never_stacks_more_exclusions_than_the_limit(self, text):
        written = to_websearch(read(text))
        self.assertLessEqual(len(re.findall(r"(?:^|\s)-", written)), MAX_EXCLUSIONS)
        self.assertNotRegex(written, r"--|-\s|-$")
