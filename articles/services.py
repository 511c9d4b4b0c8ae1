"""Editorial operations that more than one entry point needs.

The admin, the `import_brief` command and tests create briefs from pasted text
through here, so a brief imported anywhere is built the same way.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import Truncator, slugify

from articles import revisions
from articles.brevity import label_key
from articles.importer import ParsedBrief
from articles.labels import clean_label
from articles.models import (
    Article,
    Bullet,
    Category,
    Section,
    SectionLabel,
)

UNTITLED = "Untitled brief"


def unique_slug(text: str, *, exclude_pk: int | None = None) -> str:
    """A slug for `text` that no brief uses and no old address redirects from."""
    max_length = Article._meta.get_field("slug").max_length
    base = slugify(text)[: max_length - 6].strip("-") or "brief"
    candidate, n = base, 1
    while Article.address_owner(candidate, exclude_pk=exclude_pk) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def _text(value: str | None) -> str:
    # Databases refuse NUL and editors never mean control characters.
    return (value or "").translate(_CONTROL)


def _fit(model, field_name: str, value: str | None) -> str:
    """Plain text cut to the column's length (on a word, with an ellipsis)."""
    value = _text(value)
    max_length = model._meta.get_field(field_name).max_length
    if max_length and len(value) > max_length:
        cut = Truncator(value).chars(max_length)
        # Truncator does not count combining marks; the column does.
        return cut if len(cut) <= max_length else value[: max_length - 1] + "…"
    return value


def _paragraphs(texts: list[str]) -> str:
    return "".join(f"<p>{escape(_text(text))}</p>" for text in texts if text)


def section_labels() -> dict[str, SectionLabel]:
    """Standard labels keyed by label_key(), for case/apostrophe-blind lookup."""
    return {label_key(label.name): label for label in SectionLabel.objects.all()}


def find_category(name: str | None) -> Category | None:
    name = _text(name).strip()
    if not name:
        return None
    return Category.objects.filter(name__iexact=name).first()


@transaction.atomic
def create_brief_from_parsed(
    parsed: ParsedBrief, *, user=None, publish: bool = False
) -> Article:
    """Save a parsed brief as a draft (or published now) with its sections.

    Plain text is escaped into the rich fields, so nothing in the paste is
    read as markup. Known labels become SectionLabel rows; others stay custom.
    """
    headline = _fit(Article, "headline", parsed.headline) or UNTITLED
    article = Article(
        headline=headline,
        slug=unique_slug(headline),
        dek=_text(parsed.dek),
        intro=_paragraphs(parsed.intro),
        category=find_category(parsed.category),
        created_by=user if user is not None and user.is_authenticated else None,
        status=Article.Status.DRAFT,
    )
    if publish:
        article.status = Article.Status.PUBLISHED
        article.published_at = timezone.now()
    article.save()

    labels = section_labels()
    for position, parsed_section in enumerate(parsed.sections):
        label = labels.get(label_key(parsed_section.label or ""))
        section = Section.objects.create(
            article=article,
            position=position,
            label=label,
            custom_label=""
            if label
            # Cleaned here, not only in save(), so a label that is all
            # whitespace or colons still gets a name.
            else clean_label(_fit(Section, "custom_label", parsed_section.label))
            or f"Section {position + 1}",
            heading=_fit(Section, "heading", parsed_section.heading),
            text=escape(_text(parsed_section.text)),
            numbered=parsed_section.numbered,
        )
        bullets = [_text(text) for text in parsed_section.bullets]
        Bullet.objects.bulk_create(
            Bullet(section=section, position=n, text=escape(text))
            for n, text in enumerate(text for text in bullets if text.strip())
        )
    revisions.record(article, user=user, note="Created from pasted text")
    return article
