"""Step 5a: decide which paragraphs are section labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from articles.importer.lines import collapse

if TYPE_CHECKING:
    from articles.importer.blocks import Block


KNOWN_LABELS: tuple[str, ...] = (
    "Why it matters",
    "Driving the news",
    "Zoom in",
    "Zoom out",
    "Between the lines",
    "The big picture",
    "State of play",
    "What we're watching",
    "By the numbers",
    "Yes, but",
    "Reality check",
    "The bottom line",
    "What they're saying",
    "The other side",
    "Flashback",
    "What's next",
    "Go deeper",
)

# Other labels Smart Brevity writers use. They are recognised exactly like the
# known ones (so "Bottom line: …" with text after the colon starts a section)
# but are not offered as canonical labels.
_LABEL_ALIASES: tuple[str, ...] = (
    "Big picture",
    "Bottom line",
    "What to watch",
    "The latest",
    "Catch up quick",
    "Be smart",
    "Our thought bubble",
    "The intrigue",
    "Where it stands",
    "The backstory",
    "Behind the scenes",
    "Threat level",
    "How it works",
)

APOSTROPHES = "['’‘ʼ`´]"


def _label_pattern(label: str) -> str:
    """A regex for a label: any apostrophe, any spacing, optional comma."""
    out = []
    for ch in label:
        if ch == "'":
            out.append(APOSTROPHES)
        elif ch == " ":
            out.append(r"\s+")
        elif ch == ",":
            out.append(",?")
        else:
            out.append(re.escape(ch))
    return "".join(out)


_LABEL_ALTERNATIVES = "|".join(
    _label_pattern(label)
    for label in sorted(KNOWN_LABELS + _LABEL_ALIASES, key=len, reverse=True)
)
# "Why it matters: …", also "Why it matters**:" when the label was bold.
_KNOWN_LABEL_RE = re.compile(
    rf"(?P<label>{_LABEL_ALTERNATIVES})\s*(?P<close>\*\*|__)?\s*[:：]", re.IGNORECASE
)
_BARE_LABEL_RE = re.compile(rf"(?:{_LABEL_ALTERNATIVES})", re.IGNORECASE)
_BOLD_MARKERS = ("**", "__")
# Custom labels are short: "Italy is responding to:", "The deal includes:".
_CUSTOM_LABEL_MAX_WORDS = 6
_CUSTOM_LABEL_MAX_CHARS = 60


def match_known_label(text: str) -> tuple[str, str] | None:
    """(label as written, rest of the line) when text starts with a known label."""
    opener = text[:2] if text.startswith(_BOLD_MARKERS) else ""
    body = text[len(opener) :].lstrip() if opener else text
    match = _KNOWN_LABEL_RE.match(body)
    if not match:
        return None
    rest = body[match.end() :].strip()
    if opener and not match.group("close") and rest.startswith(opener):
        rest = rest[len(opener) :].strip()  # "**Why it matters:** rest"
    return collapse(match.group("label")), rest


def strip_bold(text: str) -> str:
    """Remove markdown bold wrapping the whole text ("**Title**" -> "Title")."""
    for marker in _BOLD_MARKERS:
        if len(text) > 4 and text.startswith(marker) and text.endswith(marker):
            return text[2:-2].strip()
    return text


def _match_bare_label(text: str) -> str | None:
    """A known label alone on its line without a colon (a Word heading)."""
    body = strip_bold(text)
    return collapse(body) if _BARE_LABEL_RE.fullmatch(body) else None


def _match_custom_label(text: str) -> str | None:
    """A short capitalised phrase ending with a colon, e.g. "Italy is responding to:".

    Only a candidate: the caller also requires bullets to follow, because a
    long or free-standing line ending with a colon is ordinary prose.
    """
    body = strip_bold(text)
    if not body.endswith((":", "：")):
        return None
    body = strip_bold(body[:-1].rstrip())
    if not body or len(body) > _CUSTOM_LABEL_MAX_CHARS or not body[0].isupper():
        return None
    if any(ch in body for ch in '.!?:;"“”*_') or not any(c.isalpha() for c in body):
        return None
    return body if len(body.split()) <= _CUSTOM_LABEL_MAX_WORDS else None


@dataclass
class Item:
    kind: str  # "label" | "para" | "bullet"
    text: str  # a label's lead text ("" when none), or the paragraph/bullet
    label: str = ""
    marker: str = ""  # a numbered bullet's "2." (see Line.marker)

    @property
    def numbered_text(self) -> str:
        """The bullet with its number, for where the list's numbering is lost."""
        return f"{self.marker} {self.text}" if self.marker else self.text


def classify(blocks: list[Block]) -> list[Item]:
    """Decide which paragraphs are section labels.

    Bullets are never labels: "• Between the lines: …" stays a bullet. Custom
    and colon-less labels are accepted only after the first paragraph (the
    headline is never a label) and only when something follows them; a
    custom label must be followed directly by a bullet.
    """
    items: list[Item] = []
    seen_para = False
    for i, block in enumerate(blocks):
        if block.kind == "bullet":
            items.append(Item("bullet", block.text, marker=block.marker))
            continue
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        known = match_known_label(block.text)
        if known:
            items.append(Item("label", known[1], label=known[0]))
        elif seen_para and following and (label := _match_bare_label(block.text)):
            items.append(Item("label", "", label=label))
        elif (
            seen_para
            and following
            and following.kind == "bullet"
            and (label := _match_custom_label(block.text))
        ):
            items.append(Item("label", "", label=label))
        else:
            items.append(Item("para", block.text))
        seen_para = True
    return items
