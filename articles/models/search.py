"""The search index: one document per brief (articles/search/)."""

from django.db import models

from articles.models.briefs import Article


class SearchEntry(models.Model):
    """A brief's entry in SQLite's full-text index (articles/search/sqlite.py).

    Only SQLite has the table: an FTS5 virtual table that triggers keep in
    step with the brief's row. Nothing is written through this model; it lets
    a query of briefs join their entries.
    """

    article = models.OneToOneField(
        Article,
        on_delete=models.DO_NOTHING,
        primary_key=True,
        db_column="rowid",
        db_constraint=False,
        related_name="search_entry",
    )
    # FTS5's hidden column named after its table: what MATCH, bm25() and
    # snippet() are given.
    fts = models.TextField(db_column="articles_search")

    class Meta:
        managed = False
        db_table = "articles_search"

    def __str__(self):
        return f"Search entry of brief {self.article_id}"
