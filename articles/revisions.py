"""Revisions: a full snapshot of a brief at every editorial save.

A snapshot is plain JSON (fields, filing, byline, sections and their bullets),
so it survives schema changes and can be compared and restored without the
rows it came from. Comparing two revisions renders each as readable text and
diffs the lines, then the words inside changed lines.
"""

import difflib
import re
from dataclasses import dataclass
from html import unescape

import nh3
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.models import (
    Article,
    Author,
    Bullet,
    Byline,
    Category,
    Revision,
    Section,
    SectionLabel,
    Topic,
)

SCHEMA = 1
# Lines of unchanged text kept around each change in a diff.
CONTEXT_LINES = 2


def _load(article: Article) -> Article:
    return (
        Article.objects.select_related("category")
        .prefetch_related(
            "topics",
            Prefetch("bylines", queryset=Byline.objects.select_related("author")),
            Prefetch(
                "sections",
                queryset=Section.objects.select_related("label").prefetch_related(
                    Prefetch(
                        "bullets", queryset=Bullet.objects.order_by("position", "pk")
                    )
                ),
            ),
        )
        .get(pk=article.pk)
    )


def snapshot(article: Article) -> dict:
    """Everything an editor can change about a brief, as JSON-ready data."""
    article = _load(article)
    return {
        "schema": SCHEMA,
        "headline": article.headline,
        "slug": article.slug,
        "dek": article.dek,
        "intro": article.intro,
        "category": (
            {"id": article.category_id, "name": article.category.name}
            if article.category_id
            else None
        ),
        "topics": [{"id": t.pk, "name": t.name} for t in article.topics.all()],
        "authors": [
            {"id": b.author_id, "name": b.author.name} for b in article.bylines.all()
        ],
        "hero_image": article.hero_image.name or "",
        "hero_alt": article.hero_alt,
        "hero_caption": article.hero_caption,
        "hero_credit": article.hero_credit,
        "status": article.status,
        "published_at": (
            article.published_at.isoformat() if article.published_at else None
        ),
        "sections": [
            {
                "label_id": s.label_id,
                "label": s.label.name if s.label_id else None,
                "custom_label": s.custom_label,
                "heading": s.heading,
                "text": s.text,
                "bullets": [b.text for b in s.bullets.all()],
                "numbered": s.numbered,
            }
            for s in article.sections.all()
        ],
    }


def record(article: Article, *, user=None, note: str = "") -> Revision:
    if user is not None and not user.is_authenticated:
        user = None
    return Revision.objects.create(
        article=article,
        article_version=article.version,
        snapshot=snapshot(article),
        note=note[:200],
        created_by=user,
    )


# Rendering ---------------------------------------------------------------

_LINK = re.compile(r"<a\s[^>]*?href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.I | re.S)
_LINE_BREAK = re.compile(r"<br\s*/?>|</p\s*>|</li\s*>|</blockquote\s*>", re.I)


def readable(html: str | None) -> list[str]:
    """Rich text as lines of plain text that still show links and emphasis."""
    if not html:
        return []
    # The address stays entity-escaped until the end, so it survives as text.
    text = _LINK.sub(lambda m: f"{m.group(2)} [{m.group(1)}]", html)
    text = re.sub(r"</?(?:strong|b)>", "**", text, flags=re.I)
    text = re.sub(r"</?(?:em|i)>", "_", text, flags=re.I)
    text = re.sub(r"<li[^>]*>", "• ", text, flags=re.I)
    text = _LINE_BREAK.sub("\n", text)
    text = unescape(nh3.clean(text, tags=set()))
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _when(value: str | None) -> str:
    moment = parse_datetime(value) if value else None
    if moment is None:
        return "no time set"
    return timezone.localtime(moment).strftime("%d %b %Y, %H:%M")


def as_text(data: dict) -> list[str]:
    """A snapshot as the lines an editor reads and a diff compares."""
    status = dict(Article.Status.choices).get(data.get("status"), data.get("status"))
    lines = [
        f"Headline: {data.get('headline', '')}",
        f"Address: /briefs/{data.get('slug', '')}/",
        f"Dek: {data.get('dek', '')}",
        f"Category: {(data.get('category') or {}).get('name', '—')}",
        f"Topics: {', '.join(t['name'] for t in data.get('topics', [])) or '—'}",
        f"Byline: {', '.join(a['name'] for a in data.get('authors', [])) or '—'}",
        f"Status: {status} · {_when(data.get('published_at'))}",
    ]
    if data.get("hero_image"):
        lines.append(
            f"Hero image: {data['hero_image']} (alt: {data.get('hero_alt', '')}; "
            f"caption: {data.get('hero_caption', '')}; "
            f"credit: {data.get('hero_credit', '')})"
        )
    intro = readable(data.get("intro"))
    if intro:
        lines += ["", "Intro:", *(f"  {line}" for line in intro)]
    for section in data.get("sections", []):
        label = section.get("custom_label") or section.get("label") or "(no label)"
        lines += ["", f"▌ {label}"]
        if section.get("heading"):
            lines.append(f"  Heading: {section['heading']}")
        for line in readable(section.get("text")):
            lines.append(f"  {line}")
        numbered = section.get("numbered", False)
        for number, bullet in enumerate(section.get("bullets", []), start=1):
            bullet_lines = readable(bullet) or [""]
            marker = f"{number}." if numbered else "•"
            lines.append(f"  {marker} {bullet_lines[0]}")
            lines += [f"    {line}" for line in bullet_lines[1:]]
    return lines


# Diffing -----------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "removed", "added" or "gap"
    html: SafeString


_TOKENS = re.compile(r"\S+\s*|\s+")


def _mark(tag: str, text: str) -> str:
    # Trailing space stays outside the mark, so words read naturally.
    core = text.rstrip()
    if not core:
        return escape(text)
    return f"<{tag}>{escape(core)}</{tag}>{escape(text[len(core) :])}"


def _word_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    old_html, new_html = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, a, b, autojunk=False
    ).get_opcodes():
        left, right = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            old_html.append(escape(left))
            new_html.append(escape(right))
            continue
        old_html.append(_mark("del", left))
        new_html.append(_mark("ins", right))
    return mark_safe("".join(old_html)), mark_safe("".join(new_html))


def _similar(a: str, b: str) -> bool:
    """Worth marking word by word (else shown as a whole line out, one in)."""
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.5


def diff_lines(old: list[str], new: list[str]) -> list[DiffLine]:
    """Changed lines with a little context; words changed inside are marked."""
    rows: list[DiffLine] = []
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            same = old[i1:i2]
            first, last = index == 0, index == len(opcodes) - 1
            if first and last:
                continue  # identical: nothing to show
            head = [] if first else same[:CONTEXT_LINES]
            tail = [] if last else same[-CONTEXT_LINES:]
            if len(same) <= len(head) + len(tail):
                rows += [DiffLine("same", escape(line)) for line in same]
                continue
            rows += [DiffLine("same", escape(line)) for line in head]
            rows.append(DiffLine("gap", mark_safe("…")))
            rows += [DiffLine("same", escape(line)) for line in tail]
            continue
        removed, added = old[i1:i2], new[j1:j2]
        pairs = min(len(removed), len(added)) if op == "replace" else 0
        for k in range(pairs):
            if _similar(removed[k], added[k]):
                old_html, new_html = _word_diff(removed[k], added[k])
            else:
                old_html, new_html = escape(removed[k]), escape(added[k])
            rows.append(DiffLine("removed", old_html))
            rows.append(DiffLine("added", new_html))
        rows += [DiffLine("removed", escape(line)) for line in removed[pairs:]]
        rows += [DiffLine("added", escape(line)) for line in added[pairs:]]
    return rows


def compare(old: dict, new: dict) -> list[DiffLine]:
    return diff_lines(as_text(old), as_text(new))


# Restoring ---------------------------------------------------------------


@transaction.atomic
def restore(revision: Revision, *, user=None) -> Revision:
    """Bring a brief's content back to `revision`, as a new revision.

    Publication (status and time) stays as it is now: restoring old words
    must not silently unpublish or republish a brief. Filing that has since
    been deleted (a category, a topic, an author) is left out.
    """
    article = Article.objects.select_for_update().get(pk=revision.article_id)
    data = revision.snapshot
    for name in ("headline", "dek", "intro", "hero_alt", "hero_caption", "hero_credit"):
        setattr(article, name, data.get(name) or "")
    article.hero_image = data.get("hero_image") or ""
    slug = data.get("slug")
    if slug and Article.address_owner(slug, exclude_pk=article.pk) is None:
        article.slug = slug
    category = data.get("category")
    article.category = (
        Category.objects.filter(pk=category["id"]).first() if category else None
    )
    article.save()

    article.topics.set(
        Topic.objects.filter(pk__in=[t["id"] for t in data.get("topics", [])])
    )
    article.bylines.all().delete()
    existing = set(
        Author.objects.filter(
            pk__in=[a["id"] for a in data.get("authors", [])]
        ).values_list("pk", flat=True)
    )
    Byline.objects.bulk_create(
        Byline(article=article, author_id=a["id"], position=n)
        for n, a in enumerate(data.get("authors", []))
        if a["id"] in existing
    )

    article.sections.all().delete()
    labels = {label.pk: label for label in SectionLabel.objects.all()}
    by_name = {label.name: label for label in labels.values()}
    for position, item in enumerate(data.get("sections", [])):
        label = labels.get(item.get("label_id")) or by_name.get(item.get("label"))
        custom = item.get("custom_label") or ""
        if label is None and not custom:
            # The standard label was deleted since: keep its words.
            custom = item.get("label") or f"Section {position + 1}"
        section = Section.objects.create(
            article=article,
            position=position,
            label=label,
            custom_label=custom,
            heading=item.get("heading") or "",
            text=item.get("text") or "",
            numbered=bool(item.get("numbered")),
        )
        Bullet.objects.bulk_create(
            Bullet(section=section, position=n, text=text)
            for n, text in enumerate(item.get("bullets", []))
        )
    return record(
        article, user=user, note=f"Restored version {revision.article_version}"
    )
