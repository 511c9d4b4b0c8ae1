"""SQLite: an FTS5 index of each brief's headline, dek and search document.

The table holds only the index (FTS5 "external content": the text stays in
articles_article, where snippet() reads it) and triggers on articles_article
keep it in step inside the same transaction, whatever writes the row: a
save, update(), a bulk insert, a delete or cascade, raw SQL, a test's flush.
So it changes at the moments PostgreSQL's vector does (the document after
the commit, articles/followups.py) and at the brief's own saves besides.

Django's SQLite schema editor alters a table by building a new one, which
drops the old one's triggers: after every migrate, ensure_index() puts back
whatever is missing and then rebuilds the index.
"""

from django.conf import settings
from django.db import connection
from django.db.models import F, FloatField, Func, Lookup, TextField, Value

from articles.models import SearchEntry
from articles.search.query import Query, to_fts5

TABLE = SearchEntry._meta.db_table
COLUMNS = "headline, dek, search_document"
SNIPPET_COLUMN = 2  # search_document: the headline is shown anyway
# PostgreSQL's weights for A (headline), B (dek) and C (body) are 1, 0.4, 0.2.
WEIGHTS = (5.0, 2.0, 1.0)
TRIGGERS = {
    f"{TABLE}_insert": f"""AFTER INSERT ON articles_article BEGIN
        INSERT INTO {TABLE}(rowid, {COLUMNS})
        VALUES (new.id, new.headline, new.dek, new.search_document);
    END""",
    f"{TABLE}_delete": f"""AFTER DELETE ON articles_article BEGIN
        INSERT INTO {TABLE}({TABLE}, rowid, {COLUMNS})
        VALUES ('delete', old.id, old.headline, old.dek, old.search_document);
    END""",
    f"{TABLE}_update": f"""AFTER UPDATE OF {COLUMNS} ON articles_article BEGIN
        INSERT INTO {TABLE}({TABLE}, rowid, {COLUMNS})
        VALUES ('delete', old.id, old.headline, old.dek, old.search_document);
        INSERT INTO {TABLE}(rowid, {COLUMNS})
        VALUES (new.id, new.headline, new.dek, new.search_document);
    END""",
}


class Match(Lookup):
    lookup_name = "match"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", (*lhs_params, *rhs_params)


SearchEntry._meta.get_field("fts").register_lookup(Match)


def tokenizer() -> str:
    # Porter, FTS5's one stemmer, is for English (tariffs finds tariff, as
    # PostgreSQL's english dictionary does); other languages go unstemmed.
    stem = "porter " if settings.SEARCH_LANGUAGE == "english" else ""
    return f"{stem}unicode61 remove_diacritics 2"


def indexed_values(document: str) -> dict:
    """Nothing beyond the document: the triggers index it."""
    return {}


def create_index(using=connection) -> None:
    """The table, its triggers, and every brief indexed."""
    with using.cursor() as cursor:
        cursor.execute(
            f"CREATE VIRTUAL TABLE {TABLE} USING fts5({COLUMNS}, "
            f"content='articles_article', content_rowid='id', "
            f"tokenize='{tokenizer()}')"
        )
        for name, body in TRIGGERS.items():
            cursor.execute(f"CREATE TRIGGER {name} {body}")
        cursor.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")


def drop_index(using=connection) -> None:
    with using.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def rebuild(using=connection) -> None:
    """Reindex every brief; remade only if SEARCH_LANGUAGE changed, since
    schema changes to a virtual table inside a transaction that may yet roll
    back (a test's) can leave SQLite's open handle to it unusable."""
    with using.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [TABLE])
        row = cursor.fetchone()
    if row is None or f"tokenize='{tokenizer()}'" not in row[0]:
        drop_index(using)
        create_index(using)
    elif not ensure_index(using):
        with using.cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")


def ensure_index(using=connection) -> bool:
    """Put back a missing table or trigger, and reindex; True if it did."""
    with using.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE name = %s OR tbl_name = %s",
            [TABLE, "articles_article"],
        )
        present = {name for (name,) in cursor.fetchall()}
    if TABLE not in present:
        create_index(using)
        return True
    missing = [name for name in TRIGGERS if name not in present]
    if not missing:
        return False
    with using.cursor() as cursor:
        for name in missing:
            cursor.execute(f"CREATE TRIGGER {name} {TRIGGERS[name]}")
        cursor.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")
    return True


def ensure_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: once the index's migration is applied, it is whole.

    `apps` is the migrated state; a flush (which sends the signal too) has none.
    """
    from django.apps import apps as current
    from django.db import connections

    try:
        kwargs.get("apps", current).get_model("articles", "SearchEntry")
    except LookupError:
        return  # migrated back before the index existed
    if connections[using].vendor == "sqlite":
        ensure_index(connections[using])


def matching(published, query: Query, marks: dict):
    expression = to_fts5(query)
    index = F("search_entry__fts")
    # With the join alone SQLite may walk every published brief and match
    # each one (a count did, 5,000 briefs); the subquery lets it start from
    # the index. The join gives bm25() and snippet() their matched entry.
    found = SearchEntry.objects.filter(fts__match=expression).values("article")
    return published.filter(pk__in=found, search_entry__fts__match=expression).annotate(
        # bm25() is lower for better matches; rank is higher, as on PostgreSQL.
        rank=Func(
            index, *map(Value, WEIGHTS), function="bm25", output_field=FloatField()
        )
        * Value(-1.0),
        snippet_marked=Func(
            index,
            Value(SNIPPET_COLUMN),
            Value(marks["start"]),
            Value(marks["stop"]),
            Value("…"),
            Value(marks["words"]),
            function="snippet",
            output_field=TextField(),
        ),
    )
