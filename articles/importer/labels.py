"""Step 5a: decide which paragraphs are section labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from articles.importer.headings import FINITE_VERBS
from articles.importer.lines import collapse
from articles.labels import STANDARD_LABELS

if TYPE_CHECKING:
    from articles.importer.blocks import Block


# The labels new databases start with (articles/labels.py).
KNOWN_LABELS: tuple[str, ...] = STANDARD_LABELS

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
# A known label, matched whole (fullmatch) or at a paragraph's start (match).
_KNOWN_RE = re.compile(rf"(?:{_LABEL_ALTERNATIVES})", re.IGNORECASE)
_BOLD_MARKERS = ("**", "__")
_BOLD_START_RE = re.compile(r"(\*\*|__)(?P<inner>[^*_\n]{1,80}?)\1")
# "Label: rest", "Label — rest", "Label - rest" (a hyphen only between spaces,
# so "Long-term" stays one word). The phrase is bounded, so this stays cheap
# on a long paragraph.
_SEPARATED_RE = re.compile(
    r"(?P<phrase>[^:：—–\n]{1,60}?)\s*"
    r"(?P<sep>[:：]|[—–](?=\s|$)|(?<=\s)-(?=\s|$))\s*(?P<rest>.*)",
    re.DOTALL,
)
_SEPARATORS = (":", "dash", "hyphen")
# A known label then a quotation, no colon: What they're saying "…".
_QUOTE_OPENERS = "\"“‘'«„"
# Text after a label starts a sentence, a number, a quote or a bold heading.
_REST_STARTS = "\"“‘'«„(*_$€£¥#"
# Custom labels are short: "Italy is responding to", "The deal includes".
_LABEL_MAX_WORDS = 6
_LABEL_MAX_CHARS = 60
_NOT_IN_LABELS = frozenset('.!?;"“”()[]{}*_/|=<>')
# "The mayor said: …" introduces a quote; it is not a label.
_SPEECH_VERBS = frozenset(
    "said says told tells wrote writes added adds asked asks explained explains "
    "noted notes argued argues insisted insists warned warns replied replies "
    "according announced declared tweeted posted".split()
)


@dataclass(frozen=True)
class Candidate:
    """A paragraph's start read as a label, before deciding whether it is one."""

    label: str  # as written, without bold or separator
    rest: str  # the text after it on the same line ("" when it stands alone)
    bold: bool
    sep: str  # ":" | "dash" (— –) | "hyphen" (" - ") | "none" | "#" (Markdown)
    known: bool

    @property
    def alone(self) -> bool:
        return not self.rest


def match_known_label(text: str) -> tuple[str, str] | None:
    """(label as written, rest of the line) when text starts with a known
    label and a colon or dash; what a line under a bullet must not be."""
    candidate = read_label(text)
    if candidate and candidate.known and candidate.sep in _SEPARATORS:
        return candidate.label, candidate.rest
    return None


def strip_bold(text: str) -> str:
    """Remove markdown bold wrapping the whole text ("**Title**" -> "Title")."""
    for marker in _BOLD_MARKERS:
        if len(text) > 4 and text.startswith(marker) and text.endswith(marker):
            return text[2:-2].strip()
    return text


def read_label(text: str, *, heading: bool = False) -> Candidate | None:
    """How `text` would start a section, if it has the shape of a label.

    The shapes: "Label: text", "Label — text", "**Label:** text", "**Label**:
    text", "**Label** text", a label alone on its line with or without a
    colon, a Markdown heading (`heading`), and a known label followed by a
    quotation. Whether the candidate is taken is decided by ``classify``.
    """
    if heading:
        label = _clean(strip_bold(text))
        return (
            Candidate(label, "", False, "#", _is_known(label))
            if _shaped(label, max_words=8)
            else None
        )
    bold = _BOLD_START_RE.match(text)
    if bold:
        return _read_bold(bold.group("inner").strip(), text[bold.end() :])
    separated = _SEPARATED_RE.match(text)
    if separated:
        phrase = _clean(separated.group("phrase"))
        sep = {"—": "dash", "–": "dash", "-": "hyphen"}.get(separated.group("sep"), ":")
        candidate = _candidate(phrase, separated.group("rest"), False, sep)
        if candidate:
            return candidate
    if _KNOWN_RE.fullmatch(text):
        return Candidate(_clean(text), "", False, "none", True)
    known = _KNOWN_RE.match(text)
    if known and text[known.end() :].lstrip()[:1] in _QUOTE_OPENERS:
        return Candidate(
            _clean(known.group()), text[known.end() :].strip(), False, "none", True
        )
    if _shaped(text):
        # A short line alone, like a Word heading ("Timeline"); taken only
        # where the brief's known labels stand alone in the same way.
        return Candidate(text, "", False, "none", False)
    return None


def _read_bold(inner: str, after: str) -> Candidate | None:
    """**Label:** text, **Label —** text, **Label**: text, **Label** text."""
    stripped = after.lstrip()
    if inner.endswith((":", "：")):
        return _candidate(inner[:-1], stripped, True, ":")
    if inner.endswith(("—", "–")):
        return _candidate(inner[:-1], stripped, True, "dash")
    if inner.endswith(" -"):
        return _candidate(inner[:-2], stripped, True, "hyphen")
    if stripped.startswith((":", "：")):
        return _candidate(inner, stripped[1:], True, ":")
    if stripped[:1] in "—–":
        return _candidate(inner, stripped[1:], True, "dash")
    if stripped.startswith("- ") or stripped == "-":
        return _candidate(inner, stripped[1:], True, "hyphen")
    if inner.endswith(tuple(".!?…")):
        return None  # a bold sentence: a heading or emphasis, not a label
    return _candidate(inner, stripped, True, "none")


def _candidate(phrase: str, rest: str, bold: bool, sep: str) -> Candidate | None:
    label, rest = _clean(phrase), rest.strip()
    known = _is_known(label)
    if not known:
        if not _shaped(label):
            return None
        if rest and (rest[0].islower() or _reads_like_a_clause(label)):
            return None  # "Here is the plan: we build it."
    if rest and not (rest[0].isalnum() or rest[0] in _REST_STARTS):
        return None
    return Candidate(label, rest, bold, sep, known)


def _clean(phrase: str) -> str:
    return collapse(phrase).strip(" :：—–-")


def _is_known(label: str) -> bool:
    return bool(_KNOWN_RE.fullmatch(label))


def _shaped(label: str, max_words: int = _LABEL_MAX_WORDS) -> bool:
    """A short capitalised phrase without sentence punctuation."""
    words = label.split()
    return (
        1 <= len(words) <= max_words
        and len(label) <= _LABEL_MAX_CHARS
        and label[0].isupper()
        and not any(ch in _NOT_IN_LABELS for ch in label)
    )


def _reads_like_a_clause(label: str) -> bool:
    """ "Italy is responding to" may lead into bullets, but followed by
    text on its line it is a sentence with a colon in it."""
    words = [word.casefold().strip(",'’") for word in label.split()]
    return any(word in FINITE_VERBS or word in _SPEECH_VERBS for word in words)


@dataclass
class Item:
    kind: str  # "label" | "para" | "bullet"
    text: str  # a label's lead text ("" when none), or the paragraph/bullet
    label: str = ""
    marker: str = ""  # a numbered bullet's "2." (see Line.marker)
    # A paragraph that looked like a label but did not match the brief's
    # other labels: kept as text, and the editor is told where it went.
    looked_like: str = ""

    @property
    def numbered_text(self) -> str:
        """The bullet with its number, for where the list's numbering is lost."""
        return f"{self.marker} {self.text}" if self.marker else self.text


def _fits(candidate: Candidate, styles: set[tuple[bool, str, str]]) -> bool:
    """Is the candidate written like one of the brief's known labels?

    Bold like them or plain like them, and ended the same way: with a colon
    or a dash (either), with a spaced hyphen (only where the brief's labels
    use a dash or hyphen: "Prices rose - sharply" is prose), or with nothing
    (only where its bold labels have nothing either). Labels alone on their
    line match each other whatever ends them.
    """
    for bold, sep, layout in styles:
        if bold != candidate.bold:
            continue
        if layout == "alone" and candidate.alone:
            return True
        if candidate.sep == "hyphen":
            if sep in ("dash", "hyphen"):
                return True
        elif candidate.sep in _SEPARATORS and sep in _SEPARATORS:
            return True
        elif candidate.sep == sep:
            return True
    return False


def classify(blocks: list[Block]) -> list[Item]:
    """Decide which paragraphs are section labels.

    Known labels (the managed list and common variants) are taken whenever
    they have a label's shape. Any other short phrase at the start of a
    paragraph is taken when it is written like the known labels in the same
    brief (bold or plain, colon or dash), when it is a Markdown heading, or
    when it ends with a colon and bullets follow ("Italy is responding to:").
    Bullets are never labels, nor is the headline; a new label needs the
    headline and dek above it unless a known label came first.
    """
    candidates = [
        read_label(block.text, heading=block.heading) if block.kind == "para" else None
        for block in blocks
    ]
    styles = {
        (c.bold, c.sep, "alone" if c.alone else "inline")
        for c in candidates
        if c is not None and c.known
    }
    if not styles:
        # No known label to learn from: a style repeated by two or more
        # candidates is the brief's own ("Details: …", "Of note: …").
        seen: dict[tuple[bool, str, str], int] = {}
        for c in candidates:
            if c is not None and not c.alone and c.sep != "none":
                key = (c.bold, c.sep, "inline")
                seen[key] = seen.get(key, 0) + 1
        styles = {key for key, count in seen.items() if count >= 2}

    items: list[Item] = []
    paragraphs = 0
    labelled = False
    for i, (block, candidate) in enumerate(zip(blocks, candidates, strict=True)):
        if block.kind == "bullet":
            items.append(Item("bullet", block.text, marker=block.marker))
            continue
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        taken = candidate is not None and _takes(
            candidate,
            following,
            styles,
            first=paragraphs == 0,
            after_head=paragraphs >= 2 or labelled,
        )
        if taken:
            items.append(Item("label", candidate.rest, label=candidate.label))
            labelled = True
        else:
            looked = (
                candidate.label
                if candidate is not None and labelled and not candidate.alone
                else ""
            )
            items.append(Item("para", block.text, looked_like=looked))
        paragraphs += 1
    return items


def _takes(
    candidate: Candidate,
    following: Block | None,
    styles: set[tuple[bool, str, str]],
    *,
    first: bool,
    after_head: bool,
) -> bool:
    if candidate.known and candidate.sep in _SEPARATORS:
        return True  # even with nothing after it: an empty section is warned of
    if candidate.alone and following is None:
        return False  # otherwise a label heads something
    if candidate.known:
        return candidate.bold or not first  # "The bottom line" alone, a quote
    if not after_head:
        return False
    if candidate.sep == "#":
        return True
    if (
        candidate.alone
        and candidate.sep != "none"
        and following is not None
        and following.kind == "bullet"
    ):
        return True  # "Italy is responding to:" and its bullets
    if candidate.alone and _reads_like_a_clause(candidate.label):
        return False
    return _fits(candidate, styles)
