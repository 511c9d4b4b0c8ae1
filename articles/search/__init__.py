"""Full-text search over briefs.

Each brief keeps a plain-text `search_document` (intro, then every section's
label, heading, lead text and bullets), rebuilt after any save or delete of
the brief, a section or a bullet — once per brief per transaction, after the
commit, because the admin saves inlines after their parent (retried if that
fails: articles/followups.py). On PostgreSQL the same UPDATE stores a
weighted tsvector (headline A, dek B, body C) behind a GIN index, and
queries use websearch syntax ("quoted phrases", -exclusions, or), ranked,
with highlighted snippets. SQLite gets a simpler search behind
the same function: every word must appear somewhere; headline matches first.
"""

import re

from django.conf import settings
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.signals import post_delete, post_save
from django.utils.html import escape
from django.utils.safestring import mark_safe

from articles import followups
from articles.models import Article, Bullet, Section
from newsroom.richtext import to_text

# Markers PostgreSQL puts around matches; replaced by <mark> after escaping,
# so nothing a writer typed is ever treated as HTML.
START, STOP = "\x02", "\x03"
SNIPPET_WORDS = 30
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_query(raw) -> str:
    """What we search for: printable, single-spaced, at most the setting's length."""
    text = _CONTROL.sub(" ", str(raw or ""))
    text = " ".join(text.split())
    return text[: settings.SEARCH_MAX_QUERY_LENGTH].strip()


# PostgreSQL's websearch parser stacks one NOT per "-" until an operand
# comes, and fails past about 30 ("tsquery stack too small": 40 dashes, or
# "- - - … x", answered 500). So a dash is an exclusion only right before a
# word or a quoted phrase (then an operand follows at once), any other dash
# outside a word is a space, and past MAX_EXCLUSIONS every dash is: however a
# query is built, no more NOTs can pile up than that.
MAX_EXCLUSIONS = 16
_OPERATOR_DASH = re.compile(r'(?<![^\W_])-(?=([^\W_]|")?)')


def websearch_text(query: str) -> str:
    """`query` made safe for websearch_to_tsquery, meaning kept."""
    kept = 0

    def dash(match):
        nonlocal kept
        if match.group(1) and kept < MAX_EXCLUSIONS:
            kept += 1
            return "-"
        return " "

    return _OPERATOR_DASH.sub(dash, query)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


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
    return "\n".join(part.strip() for part in parts if part and part.strip())


def update_index(article_id: int) -> None:
    """Rebuild one brief's document (and vector on PostgreSQL).

    Cached pages are not told: the caller bumps the content version after
    (articles/followups.py, the rebuild_search_index command).
    """
    article = Article.objects.filter(pk=article_id).only("pk", "intro").first()
    if article is None:
        return
    document = document_for(article)
    values = {"search_document": document}
    if is_postgres():
        config = settings.SEARCH_LANGUAGE
        values["search_vector"] = (
            SearchVector("headline", weight="A", config=config)
            + SearchVector("dek", weight="B", config=config)
            + SearchVector(Value(document), weight="C", config=config)
        )
    # update(): no signals, and the brief's updated_at stays the editor's.
    Article.objects.filter(pk=article_id).update(**values)


def rebuild_index() -> int:
    ids = list(Article.objects.values_list("pk", flat=True))
    for pk in ids:
        update_index(pk)
    return len(ids)


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


def _section_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        schedule_update(instance.article_id)


def _bullet_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    if Bullet.section.is_cached(instance):
        article_id = instance.section.article_id
    else:
        article_id = (
            Section.objects.filter(pk=instance.section_id)
            .values_list("article_id", flat=True)
            .first()
        )
    schedule_update(article_id)


def connect_receivers() -> None:
    post_save.connect(_article_saved, sender=Article, dispatch_uid="search")
    for signal in (post_save, post_delete):
        signal.connect(_section_changed, sender=Section, dispatch_uid="search")
        signal.connect(_bullet_changed, sender=Bullet, dispatch_uid="search")


# Querying ----------------------------------------------------------------


def _terms(query: str) -> list[str]:
    # Websearch operators mean nothing to the fallback; keep the words.
    words = re.findall(r"\w[\w'’-]*", query.lower())
    return [w for w in words if w not in {"or"}][:10]


def search(query: str):
    """Published briefs matching `query`, best first, each with a `snippet`.

    Returns a queryset for teasers (for_listing) annotated with `rank`, and
    on PostgreSQL `snippet_marked`; call `snippet()` on each row to render.
    """
    published = Article.objects.published().for_listing()
    if is_postgres():
        config = settings.SEARCH_LANGUAGE
        search_query = SearchQuery(
            websearch_text(query), search_type="websearch", config=config
        )
        return (
            published.filter(search_vector=search_query)
            .annotate(
                rank=SearchRank(F("search_vector"), search_query),
                snippet_marked=SearchHeadline(
                    "search_document",
                    search_query,
                    config=config,
                    start_sel=START,
                    stop_sel=STOP,
                    max_words=SNIPPET_WORDS,
                    min_words=12,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                ),
            )
            .order_by("-rank", "-published_at", "-pk")
        )
    terms = _terms(query)
    if not terms:
        return published.none()
    matches = Q()
    rank = Value(0)
    for term in terms:
        matches &= (
            Q(headline__icontains=term)
            | Q(dek__icontains=term)
            | Q(search_document__icontains=term)
        )
        rank = rank + Case(
            When(headline__icontains=term, then=Value(4)),
            When(dek__icontains=term, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    return (
        published.filter(matches)
        .annotate(rank=rank)
        .order_by("-rank", "-published_at", "-pk")
    )


def snippet(article, query: str) -> str:
    """An escaped excerpt with the matches in <mark>, or the dek."""
    marked = getattr(article, "snippet_marked", None)
    if marked is not None:
        if START not in marked:
            return escape(article.dek)
        return mark_safe(
            escape(marked).replace(START, "<mark>").replace(STOP, "</mark>")
        )
    return _python_snippet(article.search_document, article.dek, _terms(query))


def _python_snippet(document: str, dek: str, terms: list[str]) -> str:
    if not terms:
        return escape(dek)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    found = pattern.search(document or "")
    if not found:
        text = dek
    else:
        words_before = document[: found.start()].split()
        start = len(" ".join(words_before[:-8])) if len(words_before) > 8 else 0
        window = document[start:].split()[:SNIPPET_WORDS]
        text = ("… " if start else "") + " ".join(window)
        if len(document[start:].split()) > SNIPPET_WORDS:
            text += " …"
    pieces = []
    last = 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))
