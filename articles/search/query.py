"""What a reader typed, read once for both databases.

The syntax is the one the search page promises, PostgreSQL's websearch
syntax: every word is required; "words in quotes" are a phrase; -word or
-"a phrase" leaves out the briefs that have it; `or` between words accepts
either side (and binds looser: `a b or c` is `(a and b) or c`). Any other
punctuation separates words. Reading it here, rather than handing the text to
each database's own parser, makes a query mean the same on PostgreSQL and
SQLite, and keeps whatever was typed from reaching either database as syntax:
the parsed query is written back out with nothing but words, quotes, dashes
and `or` (PostgreSQL) or quoted strings and AND / OR / NOT (SQLite's FTS5).
"""

import re
from dataclasses import dataclass

# Letters and digits. Python and SQLite's unicode61 tokenizer agree on every
# one but these Tai Lue and Vedic signs, which SQLite reads as spaces: so do
# we, or a phrase of them would be empty and match nothing.
_LETTER = r"[^\W_\u19b0-\u19c0\u19c8\u19c9\u1cf2\u1cf3]"
_WORD = re.compile(f"{_LETTER}+")
# A word as typed may join letters with - ' ’ or . (covid-19, don't, U.S.):
# PostgreSQL's parser reads those as one token, SQLite as a phrase.
_COMPOUND = re.compile(rf"{_LETTER}+(?:[-'’.]{_LETTER}+)*")
_PIECE = re.compile(r'"(?P<phrase>[^"]*)"?|(?P<chunk>[^\s"]+)|\s+')

# PostgreSQL's dictionary leaves these out of its index and its queries
# (tsearch_data/english.stop); SQLite's FTS5 indexes every word, so without
# them "the" or "a" would match almost every brief there, and nothing here.
ENGLISH_STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves
    he him his himself she her hers herself it its itself they them their
    theirs themselves what which who whom this that these those am is are was
    were be been being have has had having do does did doing a an the and but
    if or because as until while of at by for with about against between into
    through during before after above below to from up down in out on off over
    under again further then once here there when where why how all any both
    each few more most other some such no nor not only own same so than too
    very s t can will just don should now""".split()
)

# However long the query, no more than this reaches a database: PostgreSQL's
# parser nests one NOT per exclusion and fails past about 30 ("tsquery stack
# too small").
MAX_TERMS = 32
MAX_EXCLUSIONS = 16


@dataclass(frozen=True)
class Term:
    """A word, a joined word (covid-19) or a quoted phrase."""

    words: tuple[str, ...]  # lower-cased, as SQLite's tokenizer splits them
    text: str  # as PostgreSQL's parser should read it
    excluded: bool = False


Query = tuple[tuple[Term, ...], ...]  # alternatives (or) of required terms


def parse(text: str, stop_words=frozenset()) -> Query:
    """`text` as alternatives of terms; () when nothing is left to look for.

    An alternative with only exclusions is dropped: "-steel" alone would
    otherwise list every brief without the word.
    """
    groups: list[list[Term]] = [[]]
    exclude_phrase = False
    for piece in _PIECE.finditer(text):
        if piece["phrase"] is not None:
            parts = _COMPOUND.findall(piece["phrase"])
            term = _phrase(parts, exclude_phrase, stop_words)
            if term:
                groups[-1].append(term)
            exclude_phrase = False
        elif piece["chunk"]:
            chunk = piece["chunk"]
            if chunk.lower() == "or":
                groups.append([])
                continue
            end = 0
            for found in _COMPOUND.finditer(chunk):
                # A dash right before a word excludes it: "-steel", "--steel",
                # "(-steel"; one inside a word ("covid-19") is part of it.
                excluded = chunk[end : found.start()].endswith("-")
                end = found.end()
                term = _word(found.group(), excluded, stop_words)
                if term:
                    groups[-1].append(term)
            after = piece.end()
            exclude_phrase = (
                chunk[end:].endswith("-") and text[after : after + 1] == '"'
            )
        else:
            exclude_phrase = False
    return _limited(groups)


def _word(compound: str, excluded: bool, stop_words) -> Term | None:
    words = tuple(word.lower() for word in _WORD.findall(compound))
    if all(word in stop_words for word in words):
        return None
    return Term(words, compound, excluded)


def _phrase(parts: list[str], excluded: bool, stop_words) -> Term | None:
    # PostgreSQL ignores stop words at either end of a phrase (and counts
    # those inside as gaps); SQLite keeps the inside ones as words.
    words = [word.lower() for part in parts for word in _WORD.findall(part)]
    while words and words[0] in stop_words:
        words.pop(0)
    while words and words[-1] in stop_words:
        words.pop()
    if not words:
        return None
    return Term(tuple(words), '"' + " ".join(parts) + '"', excluded)


def _limited(groups: list[list[Term]]) -> Query:
    kept: list[tuple[Term, ...]] = []
    terms = exclusions = 0
    for group in groups:
        alternative = []
        for term in group:
            if terms == MAX_TERMS or (term.excluded and exclusions == MAX_EXCLUSIONS):
                continue
            terms += 1
            exclusions += term.excluded
            alternative.append(term)
        if any(not term.excluded for term in alternative):
            kept.append(tuple(alternative))
    return tuple(kept)


def to_websearch(query: Query) -> str:
    """For PostgreSQL's websearch_to_tsquery."""
    return " or ".join(
        " ".join(("-" if term.excluded else "") + term.text for term in group)
        for group in query
    )


def to_fts5(query: Query) -> str:
    """For SQLite's FTS5 MATCH: every term a quoted string, so no word is
    read as an operator (NEAR, AND), a column filter (headline:) or a prefix
    (word*)."""
    alternatives = []
    for group in query:
        required = " AND ".join(_fts5_string(t) for t in group if not t.excluded)
        excluded = " OR ".join(_fts5_string(t) for t in group if t.excluded)
        alternative = f"({required})"
        if excluded:
            alternative += f" NOT ({excluded})"
        alternatives.append(f"({alternative})")
    return " OR ".join(alternatives)


def _fts5_string(term: Term) -> str:
    # Words hold letters and digits only; doubling quotes is belt and braces.
    return '"' + " ".join(term.words).replace('"', '""') + '"'
