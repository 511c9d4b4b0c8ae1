"""Full-text search over briefs: one interface, a backend per database.

Each brief keeps a plain-text `search_document` (intro, then every section's
label, heading, lead text and bullets), rebuilt after any save or delete of
the brief, a section or a bullet — once per brief per transaction, after the
commit, because the admin saves inlines after their parent (retried if that
fails: articles/followups.py). The index over headline (weighted most), dek
and document follows it:

- PostgreSQL (search/postgres.py): the same UPDATE stores a weighted
  tsvector behind a GIN index;
- SQLite (search/sqlite.py): an FTS5 table over the same three columns,
  kept by triggers on the brief's row, so inserts, updates and deletes of any
  kind (bulk, raw, cascades) can never leave it behind.

Both read a query the same way (search/query.py: "phrases", -exclusions,
or), rank headline over dek over body, and mark the matches in a snippet.
`manage.py rebuild_search_index` rebuilds the documents and the index.
"""

import re

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils.html import escape
from django.utils.safestring import mark_safe

from articles import followups, invalidation
from articles.models import Article, Bullet, Section
from articles.search import postgres, query, sqlite
from newsroom.richtext import to_text

# Markers the databases put around matches; replaced by <mark> after
# escaping, so nothing a writer typed is ever treated as HTML.
START, STOP = "\x02", "\x03"
SNIPPET_WORDS = 30
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_query(raw) -> str:
    """What we search for: printable, single-spaced, at most the setting's length."""
    text = _CONTROL.sub(" ", str(raw or ""))
    text = " ".join(text.split())
    return text[: settings.SEARCH_MAX_QUERY_LENGTH].strip()


def parse(text: str) -> query.Query:
    stop_words = (
        query.ENGLISH_STOP_WORDS if settings.SEARCH_LANGUAGE == "english" else ()
    )
    return query.parse(text, stop_words)


def _backend():
    return postgres if connection.vendor == "postgresql" else sqlite


# Building the document ---------------------------------------------------


def document_for(article: Article) -> str:
    """The brief's body as plain text, in reading order."""
    parts = [to_text(article.intro)]
    sections = (
        Section.objects.filter(article=article)
        .select_related("label")
        .prefetch_related("bullets")
        .order_by("position", "pk")
    )
    for section in sections:
        parts.append(section.display_label)
        parts.append(section.heading)
        parts.append(to_text(section.text))
        parts.extend(
            to_text(bullet.text)
            for bullet in sorted(
                section.bullets.all(), key=lambda b: (b.position, b.pk)
            )
        )
    # Control characters (the snippet's markers among them) never reach it.
    return "\n".join(
        _CONTROL.sub(" ", part).strip() for part in parts if part and part.strip()
    )


def update_index(article_id: int) -> None:
    """Rebuild one brief's document, and its index entry with it.

    Cached pages are not told: the caller bumps the content version after
    (articles/followups.py, the rebuild_search_index command).
    """
    article = Article.objects.filter(pk=article_id).only("pk", "intro").first()
    if article is None:
        return
    document = document_for(article)
    values = {"search_document": document, **_backend().indexed_values(document)}
    # update(): no signals, and the brief's updated_at stays the editor's.
    Article.objects.filter(pk=article_id).update(**values)


def rebuild_index() -> int:
    """Every brief's document and index entry; the number of briefs."""
    with transaction.atomic():
        ids = list(Article.objects.values_list("pk", flat=True))
        for pk in ids:
            update_index(pk)
        _backend().rebuild()
    return len(ids)


def _update_documents(article_ids) -> None:
    for pk in article_ids:
        update_index(pk)


followups.register("search_index", _update_documents)


def schedule_update(article_id: int | None) -> None:
    """Update after the commit; many saves in one transaction cost one update."""
    if article_id is not None:
        followups.index_after_commit(article_id)


def _article_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    if update_fields is not None and not (
        {"headline", "dek", "intro"} & set(update_fields)
    ):
        return
    schedule_update(instance.pk)


def _part_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        schedule_update(invalidation.brief_of(instance))


def connect_receivers() -> None:
    post_save.connect(_article_saved, sender=Article, dispatch_uid="search")
    for signal in (post_save, post_delete):
        for model in (Section, Bullet):
            signal.connect(_part_changed, sender=model, dispatch_uid="search")


# Querying ----------------------------------------------------------------


def search(text: str):
    """Published briefs matching `text`, best first.

    A queryset for teasers (for_listing) annotated with `rank` (higher is
    better) and `snippet_marked`; call `snippet()` on each row to render.
    Empty when nothing in `text` is left to look for.
    """
    published = Article.objects.published().for_listing()
    parsed = parse(text)
    if not parsed:
        return published.none()
    marks = {"start": START, "stop": STOP, "words": SNIPPET_WORDS}
    return (
        _backend()
        .matching(published, parsed, marks)
        .order_by("-rank", "-published_at", "-pk")
    )


def why_nothing(text: str) -> str | None:
    """Why `text` can find nothing, whatever is published; None if it can."""
    if not text or parse(text):
        return None
    if _EXCLUSION.search(text):
        return "A word after a dash is left out; add a word to look for."
    return "Words this common are not searched for; add a more particular one."


_EXCLUSION = re.compile(r'(?:^|\s)-+["\w]')
# The document has one line per label, heading, paragraph or bullet; in a
# snippet a line that ends without punctuation (a label, mostly) reads as one.
_LINE_AFTER_WORD = re.compile(rf"(\w[{START}{STOP}]?)\n")


def snippet(article, text: str) -> str:
    """An escaped excerpt of the body with the matches in <mark>, or the dek."""
    marked = getattr(article, "snippet_marked", None)
    if not marked or START not in marked:
        return escape(article.dek)
    marked = _LINE_AFTER_WORD.sub(r"\1: ", marked).replace("\n", " ")
    return mark_safe(escape(marked).replace(START, "<mark>").replace(STOP, "</mark>"))
