"""Smart Brevity guidance: word counts, reading time and gentle warnings.

Editors see these figures live in the admin (static/articles/admin/brevity.js
computes the same numbers in the browser, from the same rules) and again as
warnings when they save; readers see the minutes to read. Warnings never block
a save: they are advice, and the editor decides.

Everything works on a plain structure, so a saved brief, an admin form and a
pasted import are measured the same way:

    {"headline": str, "dek": str, "intro": str,
     "sections": [{"label": str, "heading": str, "text": str, "bullets": [str]}]}

Rich fields may hold HTML; they are reduced to text first.
"""

import html
import math
import re
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.utils.html import escape

from articles.labels import clean_label, shown_label
from newsroom.richtext import to_text

DEFAULT_LIMITS = {
    "WORDS_PER_MINUTE": 230,
    "HEADLINE_MAX_WORDS": 14,
    "BULLET_MAX_WORDS": 40,
    "SECTION_MAX_WORDS": 120,
    "SECTION_MAX_BULLETS": 5,
    "TOTAL_MAX_WORDS": 600,
}
WHY_IT_MATTERS = "why it matters"


def limits() -> dict[str, int]:
    """The thresholds in force: settings.BREVITY over the defaults."""
    return {**DEFAULT_LIMITS, **getattr(settings, "BREVITY", {})}


# A whitespace-delimited token without any letter or digit ([^\W_] is exactly
# what str.isalnum() accepts, so this is "neither alphanumeric nor space").
_NOT_A_WORD = re.compile(r"(?<!\S)(?:[^\w\s]|_)+(?!\S)")


def count_words(text: str) -> int:
    """Words in plain text: whitespace-separated tokens holding a letter or digit.

    A lone dash or bullet sign is not a word. brevity.js counts the same way.
    (All tokens less the few that are not words: cheaper than matching each
    word with a look-ahead, and every reader page counts its brief.)
    """
    return len(text.split()) - len(_NOT_A_WORD.findall(text))


def reading_minutes(words: int, words_per_minute: int | None = None) -> int:
    if words <= 0:
        return 0
    # A setting of 0 means the default, as an unset one does.
    wpm = (
        words_per_minute
        or limits()["WORDS_PER_MINUTE"]
        or DEFAULT_LIMITS["WORDS_PER_MINUTE"]
    )
    return max(1, math.ceil(words / max(wpm, 1)))


def label_key(label: str) -> str:
    """A label compared case- and apostrophe-insensitively, without a colon."""
    return clean_label(label.replace("’", "'").casefold())


@dataclass(frozen=True)
class Advice:
    code: str
    message: str
    section: int | None = None


@dataclass
class SectionReport:
    label: str
    words: int
    bullets: int
    bullet_words: list[int] = field(default_factory=list)


@dataclass
class Report:
    words: int
    minutes: int
    headline_words: int
    sections: list[SectionReport]
    warnings: list[Advice]

    def as_dict(self) -> dict:
        return asdict(self)


def _plain(value) -> str:
    return to_text(value or "")


def analyse(structure: dict, thresholds: dict | None = None) -> Report:
    """Measure a brief and list what breaks the house style."""
    limit = thresholds or limits()
    headline_words = count_words(_plain(structure.get("headline")))
    total = (
        headline_words
        + count_words(_plain(structure.get("dek")))
        + count_words(_plain(structure.get("intro")))
    )
    warnings: list[Advice] = []
    if headline_words > limit["HEADLINE_MAX_WORDS"]:
        warnings.append(
            Advice(
                "headline_long",
                f"The headline has {headline_words} words; "
                f"aim for {limit['HEADLINE_MAX_WORDS']} or fewer.",
            )
        )

    reports = []
    has_why = False
    for index, section in enumerate(structure.get("sections") or []):
        # A form not yet saved may still hold a typed colon ("Italy is
        # responding to:"); messages add their own.
        label = clean_label(_plain(section.get("label"))) or f"Section {index + 1}"
        shown = shown_label(label)
        has_why = has_why or label_key(label) == WHY_IT_MATTERS
        text_words = count_words(_plain(section.get("heading"))) + count_words(
            _plain(section.get("text"))
        )
        bullet_words = [count_words(_plain(b)) for b in section.get("bullets") or []]
        words = text_words + sum(bullet_words)
        total += count_words(label) + words
        reports.append(SectionReport(label, words, len(bullet_words), bullet_words))

        for number, n in enumerate(bullet_words, start=1):
            if n > limit["BULLET_MAX_WORDS"]:
                warnings.append(
                    Advice(
                        "bullet_long",
                        f"{label}, bullet {number}: {n} words; "
                        f"aim for {limit['BULLET_MAX_WORDS']} or fewer.",
                        index,
                    )
                )
        if words > limit["SECTION_MAX_WORDS"]:
            warnings.append(
                Advice(
                    "section_long",
                    f"{shown} {words} words; "
                    f"aim for {limit['SECTION_MAX_WORDS']} or fewer.",
                    index,
                )
            )
        if len(bullet_words) > limit["SECTION_MAX_BULLETS"]:
            warnings.append(
                Advice(
                    "too_many_bullets",
                    f"{shown} {len(bullet_words)} bullets; "
                    f"aim for {limit['SECTION_MAX_BULLETS']} or fewer.",
                    index,
                )
            )
        if not _plain(section.get("text")) and not any(
            _plain(b) for b in section.get("bullets") or []
        ):
            warnings.append(
                Advice("section_empty", f"{shown} has neither text nor bullets.", index)
            )

    if not has_why:
        warnings.append(
            Advice(
                "missing_why",
                "No “Why it matters” section: tell readers why this brief matters.",
            )
        )
    minutes = reading_minutes(total, limit["WORDS_PER_MINUTE"])
    if total > limit["TOTAL_MAX_WORDS"]:
        warnings.append(
            Advice(
                "total_long",
                f"The brief has {total} words (about {minutes} min to read); "
                f"aim for {limit['TOTAL_MAX_WORDS']} or fewer.",
            )
        )
    return Report(total, minutes, headline_words, reports, warnings)


def total_words(structure: dict) -> int:
    """analyse(structure).words, counted without the advice.

    Reader pages show minutes to read on every brief; this turns the whole
    brief to text in one pass instead of one per field. Plain-text fields are
    escaped first so a stray "<" in a headline cannot swallow the next field
    (analyse() would drop such tag-like text; the counts then differ by it).
    """
    parts = [
        html.escape(structure.get("headline") or ""),
        html.escape(structure.get("dek") or ""),
        structure.get("intro") or "",
    ]
    for index, section in enumerate(structure.get("sections") or []):
        label = (section.get("label") or "").strip() or f"Section {index + 1}"
        parts.append(html.escape(label))
        parts.append(html.escape(section.get("heading") or ""))
        parts.append(section.get("text") or "")
        parts.extend(section.get("bullets") or [])
    return count_words(to_text("<br>".join(parts)))


def structure_of(article, sections=None) -> dict:
    """The structure of a brief: `sections` as (section, bullets) pairs, or by
    default the saved brief's own (uses prefetched sections if present)."""
    if sections is None:
        sections = []
        if article.pk is not None:
            sections = [(s, s.bullets.all()) for s in article.sections.all()]
    return {
        "headline": article.headline,
        "dek": article.dek,
        "intro": article.intro,
        "sections": [
            {
                "label": section.display_label,
                "heading": section.heading,
                "text": section.text,
                "bullets": [bullet.text for bullet in bullets],
            }
            for section, bullets in sections
        ],
    }


def structure_of_parsed(parsed) -> dict:
    """The structure of a ParsedBrief from articles.importer (plain text)."""
    return {
        "headline": escape(parsed.headline or ""),
        "dek": escape(parsed.dek or ""),
        "intro": escape(" ".join(parsed.intro)),
        "sections": [
            {
                "label": escape(s.label or ""),
                "heading": escape(s.heading or ""),
                "text": escape(s.text or ""),
                "bullets": [escape(b) for b in s.bullets],
            }
            for s in parsed.sections
        ],
    }
