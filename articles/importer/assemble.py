"""Step 5c: category, headline, dek, intro and sections from the labelled items."""

from __future__ import annotations

import re

from articles.importer.blocks import TERMINAL
from articles.importer.headings import looks_like_heading, split_heading
from articles.importer.labels import APOSTROPHES, Item, strip_bold
from articles.importer.lines import collapse
from articles.importer.parsed import ParsedBrief, ParsedSection

_CATEGORY_SMALL_WORDS = frozenset("& and of the in for on at to - –".split())
_BYLINE_RE = re.compile(r"by\s+[A-Z]", re.IGNORECASE)


def assemble(items: list[Item], crumbs: list[str]) -> ParsedBrief:
    first_label = next(
        (i for i, item in enumerate(items) if item.kind == "label"), len(items)
    )
    brief = ParsedBrief(headline=None, dek=None)
    _fill_head(brief, items[:first_label], crumbs)
    _fill_sections(brief, items[first_label:])
    _check(brief)
    return brief


def _fill_head(brief: ParsedBrief, head: list[Item], crumbs: list[str]) -> None:
    """Category, headline, dek and intro from everything before the first label."""
    head = list(head)
    crumb = crumbs[-1] if crumbs else None
    if (
        len(head) >= 2
        and head[0].kind == head[1].kind == "para"
        and _is_category(head[0].text, head[1].text, crumb)
    ):
        brief.category = head.pop(0).text
    if head and head[0].kind == "para":
        brief.headline = strip_bold(head.pop(0).text)
    if brief.category is None:
        # No category line: the breadcrumb's section ("Home » World » …").
        sections = [
            crumb
            for crumb in crumbs
            if _looks_like_category(crumb)
            and not (brief.headline and _same_title(crumb, brief.headline))
        ]
        brief.category = sections[-1] if sections else None
    if (
        crumb
        and brief.headline
        and len(crumb.split()) > 3  # a short last crumb is a section, not a title
        and not _same_title(crumb, brief.headline)
    ):
        brief.warnings.append(
            f"The page's breadcrumb names '{_short(crumb)}' but the first line is "
            f"'{_short(brief.headline)}'. Check that the headline is right."
        )
    # A byline sits right under the headline, or under the dek.
    for item in [item for item in head[:2] if item.kind == "para"]:
        if _is_byline(item.text):
            head.remove(item)
            brief.warnings.append(f"Removed the byline '{item.text}'.")
    if brief.headline and head and head[0].kind == "para":
        brief.dek = head.pop(0).text
    if any(item.kind == "bullet" for item in head):
        brief.warnings.append(
            "Bullets before the first section were kept as intro paragraphs. Move "
            "them into a section if they belong to one."
        )
    brief.intro = [item.numbered_text for item in head]


def _is_category(first: str, second: str, crumb: str | None) -> bool:
    """Is ``first`` a lone category line ("World") above the headline ``second``?

    A category is 1-3 Title Case words with no final punctuation. If the
    breadcrumb confirms ``second`` as the headline, that settles it. Otherwise
    ``second`` must look like a headline too (longer, and not ending with a
    full stop as a dek would), or "Fed Holds Rates" followed by its dek would
    lose its headline.
    """
    if not _looks_like_category(first):
        return False
    if crumb and _same_title(crumb, second):
        return True
    return len(second.split()) > len(first.split()) and not second.endswith((".", "…"))


def _looks_like_category(text: str) -> bool:
    """1-3 Title Case words, no final punctuation: "World", "Science & Tech"."""
    words = text.split()
    if not 1 <= len(words) <= 3 or len(text) > 40 or text.endswith(TERMINAL):
        return False
    if text.endswith((",", "-", "–", "—")) or not text[0].isupper():
        return False
    return all(
        word[0].isupper() or word[0].isdigit() or word in _CATEGORY_SMALL_WORDS
        for word in words
    )


def _same_title(crumb: str, title: str) -> bool:
    """Does a breadcrumb's last crumb name this title? Crumbs may be truncated."""
    a, b = title_key(crumb), title_key(title)
    if not a or not b:
        return False
    return a == b or (len(a) >= 10 and (b.startswith(a) or b.endswith(a)))


def title_key(text: str) -> str:
    text = re.sub(APOSTROPHES, "'", text.casefold())
    return collapse(text.replace("...", " ").strip(" .…:-–—\"'“”"))


def _is_byline(text: str) -> bool:
    words = text.split()
    return (
        len(words) <= 8
        and bool(_BYLINE_RE.match(text))
        and not text.endswith((".", ":"))
        and all(word[0].isupper() or word in {"and", "&"} for word in words[1:])
    )


def _fill_sections(brief: ParsedBrief, body: list[Item]) -> None:
    """Group labels, paragraphs and bullets into sections.

    A section's text is its lead (the rest of the label's line). If the label
    stood alone ("Why it matters:" on its own line, as Word pastes do), the
    first paragraph after it becomes the lead. Further paragraphs before the
    bullets are appended to the text, separated by a blank line ("\\n\\n").
    The model has no place for a paragraph *after* the bullets, so such a
    paragraph is appended to the text too, with a warning, since its position
    on the page changes.
    """
    # Paragraphs are collected per section and joined once (joining as we go
    # would be quadratic on a long paste).
    groups: list[tuple[ParsedSection, list[str], list[str], list[Item]]] = []
    for item in body:
        if item.kind == "label":
            heading, text = split_heading(item.text)
            groups.append((ParsedSection(item.label, heading, None), [], [], []))
            if text:
                groups[-1][1].append(text)
            continue
        if not groups:  # unreachable: the body starts with a label
            brief.intro.append(item.numbered_text)
            continue
        section, paragraphs, after_bullets, bullets = groups[-1]
        if item.kind == "bullet":
            section.bullets.append(item.text)
            bullets.append(item)
        elif not (paragraphs or section.heading or section.bullets):
            # The label stood alone: this paragraph is its lead.
            section.heading, text = split_heading(item.text)
            paragraphs.append(text or "")
        elif (
            len(paragraphs) == 1
            and section.heading is None
            and not section.bullets
            and looks_like_heading(paragraphs[0])
        ):
            # "Zoom in: A deeper axis." with the text on the next line.
            section.heading, paragraphs[0] = paragraphs[0], item.text
        else:
            paragraphs.append(item.text)
            if section.bullets:
                after_bullets.append(item.text)
            if item.looked_like:
                brief.warnings.append(
                    f"'{_short(item.text)}' starts like a label ('{item.looked_like}') "
                    "but is not written like the brief's other labels, so it stayed "
                    f"in the text of '{section.label}'. Make it a section if it is one."
                )
    for section, paragraphs, after_bullets, bullets in groups:
        section.text = "\n\n".join(part for part in paragraphs if part) or None
        _number(brief, section, bullets)
        brief.sections.append(section)
        if after_bullets:
            brief.warnings.append(
                f"In '{section.label}', {_count(len(after_bullets), 'paragraph')} "
                f"after the bullets (from '{_short(after_bullets[0])}') went into "
                "the section's text, above the bullets. Check the order."
            )


def _number(brief: ParsedBrief, section: ParsedSection, bullets: list[Item]) -> None:
    """Make the section a numbered list if its bullets count 1, 2, 3….

    "1." on every item is how Markdown writes a numbered list, so it counts
    too. Any other numbering (a gap, a mix of numbers and dashes) cannot be
    rebuilt from a flag, so the numbers stay in the bullets' text.
    """
    markers = [item.marker for item in bullets]
    if not any(markers):
        return
    numbers = [int("".join(ch for ch in m if ch.isdigit()) or 0) for m in markers]
    if all(markers) and (
        numbers == list(range(1, len(numbers) + 1)) or set(numbers) == {1}
    ):
        section.numbered = True
        return
    section.bullets = [item.numbered_text for item in bullets]
    brief.warnings.append(
        f"In '{section.label}', the list is numbered "
        f"{_short(', '.join(m for m in markers if m), 30)} rather than 1, 2, 3…, "
        "so its numbers were kept in the text of the bullets."
    )


def _check(brief: ParsedBrief) -> None:
    """Add warnings about parts an editor has to fill in or review."""
    if brief.headline is None:
        brief.warnings.append(
            "No headline was found. Add one as the first line, above the summary."
        )
    elif brief.dek is None:
        brief.warnings.append("No summary sentence (dek) was found after the headline.")
    if not brief.sections:
        brief.warnings.append(
            "No section labels like 'Why it matters:' were found, so everything after "
            "the headline and summary was kept as intro paragraphs. Add labels to "
            "split it into sections."
        )
    seen: set[str] = set()
    for section in brief.sections:
        key = title_key(section.label)
        if key in seen:
            brief.warnings.append(
                f"The label '{section.label}' appears more than once."
            )
        seen.add(key)
        if not (section.heading or section.text or section.bullets):
            brief.warnings.append(f"The section '{section.label}' is empty.")


def _count(n: int, noun: str) -> str:
    return f"1 {noun}" if n == 1 else f"{n} {noun}s"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
