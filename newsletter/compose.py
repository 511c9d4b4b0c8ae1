"""Turn an edition and its briefs into a plain structure, then into email.

The snapshot is what gets frozen when sending starts: every message, the
plain-text part and the web archive come from the same structure, so they
cannot disagree, and editing a brief later does not change a sent edition.
"""

from datetime import datetime

from django.utils import timezone

from articles import rendering
from articles.brevity import WHY_IT_MATTERS, count_words, label_key, reading_minutes
from articles.models import Article
from newsletter.emails import render_email
from newsroom.links import absolute_url
from newsroom.richtext import sanitize, to_text


def _rich(clean: str) -> dict:
    return {"html": clean, "text": to_text(clean)}


def section_snapshot(section: dict) -> dict:
    """A section as the brief's page shows it (rendered on save, sanitised)."""
    return {
        "label": section["label"],
        "heading": section["heading"],
        "lead": _rich(section["lead"]),
        "bullets": [_rich(bullet) for bullet in section["bullets"]],
        "numbered": section["numbered"],
    }


def item_snapshot(article, keep: set[int] | None) -> dict:
    """One brief: headline, a summary (the dek, or else its “Why it matters”), kept sections.

    `keep` is the set of section ids to keep, or None for all of them.
    """
    # As rendered on save for every reader (articles/rendering.py).
    sections = article.body_parts.get("sections", [])
    why = next((s for s in sections if label_key(s["label"]) == WHY_IT_MATTERS), None)
    summary_from_why = not article.dek and why is not None
    if article.dek:
        summary = {"html": "", "text": article.dek}
    elif why is not None:
        lead = _rich(why["lead"])
        heading = why["heading"].strip()
        summary = {
            "label": why["label"],
            "heading": heading,
            "html": lead["html"],
            "text": " ".join(p for p in (heading, lead["text"]) if p),
        }
    else:
        summary = {"html": "", "text": ""}
    kept = [
        section_snapshot(s)
        for s in sections
        if (keep is None or s["id"] in keep) and not (summary_from_why and s is why)
    ]
    return {
        "id": article.pk,
        "headline": article.headline,
        "url": absolute_url(article.get_absolute_url()),
        "category": article.category.name if article.category_id else "",
        "summary": summary,
        "sections": kept,
    }


def _words_of(snapshot: dict) -> int:
    parts = [snapshot.get("intro_text", "")]
    for item in snapshot["items"]:
        parts += [item["headline"], item["summary"]["text"]]
        for section in item["sections"]:
            parts += [section["label"], section["heading"], section["lead"]["text"]]
            parts += [b["text"] for b in section["bullets"]]
    return count_words(" ".join(parts))


def published_items(edition):
    """(item, article) in the edition's order; unpublished briefs are left out."""
    items = list(edition.items.prefetch_related("sections"))
    found = (
        Article.objects.published()
        .for_page()
        .filter(pk__in=[i.article_id for i in items])
    )
    # As readers will see them: any stored by other templates rendered again.
    articles = {a.pk: a for a in rendering.current(found, Article.objects.for_page())}
    return [
        (item, articles[item.article_id])
        for item in items
        if item.article_id in articles
    ]


def build_snapshot(edition, *, when=None) -> dict:
    items = []
    for item, article in published_items(edition):
        keep = None if item.all_sections else {s.pk for s in item.sections.all()}
        items.append(item_snapshot(article, keep))
    intro = sanitize(edition.intro, "block")
    snapshot = {
        "version": 1,
        "newsletter": {
            "id": edition.newsletter_id,
            "name": edition.newsletter.name,
            "slug": edition.newsletter.slug,
        },
        "subject": edition.subject,
        "preheader": edition.preheader,
        "intro_html": intro,
        "intro_text": to_text(intro),
        "items": items,
        "date": (when or timezone.now()).isoformat(),
        "web_url": absolute_url(edition.get_absolute_url()) if edition.pk else "",
    }
    snapshot["words"] = _words_of(snapshot)
    snapshot["minutes"] = reading_minutes(snapshot["words"])
    return snapshot


def with_references(item: dict) -> dict:
    """The item with its text keeping every link as a numbered reference.

    The text part cannot link words, so "Read the agency's summary [1]." is
    followed, after the brief, by "[1] https://…". Made from the stored HTML,
    so editions frozen before this existed get their references too.
    """
    links: list[str] = []

    def text(part: dict) -> dict:
        if not part.get("html"):
            return part
        return {**part, "text": to_text(part["html"], links)}

    summary = item["summary"]
    if summary.get("html"):
        lead = to_text(summary["html"], links)
        summary = {
            **summary,
            "text": " ".join(p for p in (summary.get("heading", ""), lead) if p),
        }
    sections = [
        {
            **section,
            "lead": text(section["lead"]),
            "bullets": [text(b) for b in section["bullets"]],
        }
        for section in item["sections"]
    ]
    return {**item, "summary": summary, "sections": sections, "links": links}


def snapshot_context(snapshot: dict) -> dict:
    """Template context for a snapshot (the email and the web view share it)."""
    date = datetime.fromisoformat(snapshot["date"])
    return {
        **snapshot,
        "items": [with_references(item) for item in snapshot["items"]],
        "date": timezone.localtime(date) if timezone.is_aware(date) else date,
        "brief_count": len(snapshot["items"]),
    }


def render(snapshot: dict, links: dict) -> tuple[str, str, str]:
    """(subject, text, html) of an edition. `links` holds the reader's own URLs:
    "unsubscribe" and "preferences" (placeholders when rendering for many)."""
    return render_email("edition", {**snapshot_context(snapshot), "links": links})


def latest_briefs(count: int) -> list[Article]:
    return list(Article.objects.published().order_by("-published_at", "-pk")[:count])
