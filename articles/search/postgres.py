"""PostgreSQL: a weighted tsvector on the brief's row, behind a GIN index
(created by the initial migration), queried with websearch syntax written from the parsed
query (search/query.py)."""

from django.conf import settings
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db.models import F, Value

from articles.search.query import Query, to_websearch


def indexed_values(document: str) -> dict:
    """Columns to store with the document: the vector, headline weighted A."""
    config = settings.SEARCH_LANGUAGE
    return {
        "search_vector": SearchVector("headline", weight="A", config=config)
        + SearchVector("dek", weight="B", config=config)
        + SearchVector(Value(document), weight="C", config=config)
    }


def rebuild() -> None:
    """Nothing beyond the vectors update_index() has stored."""


def matching(published, query: Query, marks: dict):
    config = settings.SEARCH_LANGUAGE
    search_query = SearchQuery(
        to_websearch(query), search_type="websearch", config=config
    )
    return published.filter(search_vector=search_query).annotate(
        rank=SearchRank(F("search_vector"), search_query),
        snippet_marked=SearchHeadline(
            "search_document",
            search_query,
            config=config,
            start_sel=marks["start"],
            stop_sel=marks["stop"],
            max_words=marks["words"],
            min_words=12,
            max_fragments=2,
            fragment_delimiter=" … ",
        ),
    )
