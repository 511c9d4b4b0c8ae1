"""Turn a pasted "Smart Brevity" brief into structured data.

An editor pastes a brief copied from a document or a web page; ``parse_brief``
returns its headline, dek, intro paragraphs and labelled sections, so the CMS
can pre-fill an article form. The parser is forgiving on purpose: whatever it is
unsure about is kept and explained in ``ParsedBrief.warnings`` rather than
dropped. The only exception it raises is ``BriefParseError``, whose message is
written for the editor.

The work happens in five small steps, each a function below:

1. ``_decode``        bytes or str -> str; rejects binary files, empty or huge input.
2. ``_split_lines``   normalises whitespace and classifies lines (blank/bullet/text).
3. ``_drop_chrome``   removes page furniture: breadcrumb, share/advert/subscribe.
4. ``_build_blocks``  joins wrapped lines into paragraphs and bullets.
5. ``_assemble``      finds the category, headline, dek, intro and sections.

Everything is line based with anchored, non-nested regular expressions, so the
running time grows linearly with the input (which is capped at ``MAX_CHARS``).

Known limits, all heuristics that fail safe (content is kept, not lost):

* Heading detection (``_split_heading``) uses word lists, not a grammar: a
  fragment whose verb is unknown ("Tariffs bite. …") is split off as a
  heading, and a noun phrase ending in a "verb-looking" word after a name
  ("Big Tech earnings. …") is left in the text.
* A hard-wrapped line that starts with a capital letter ("…said Jerome" /
  "Powell, the chair…") starts a new paragraph.
* Inline markdown (``*italic*``, ``**bold**`` mid-sentence) is kept verbatim;
  only bold around labels and headings is removed.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

__all__ = [
    "KNOWN_LABELS",
    "MAX_CHARS",
    "BriefParseError",
    "ParsedBrief",
    "ParsedSection",
    "parse_brief",
]

# A brief is a few hundred words; 200 000 characters is a whole web page with
# room to spare. The cap keeps a mistaken paste (a log file, a book) cheap.
MAX_CHARS = 200_000

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


class BriefParseError(ValueError):
    """The text cannot be read as a brief; the message tells the editor why."""


@dataclass
class ParsedSection:
    label: str
    heading: str | None
    text: str | None
    bullets: list[str] = field(default_factory=list)


@dataclass
class ParsedBrief:
    headline: str | None
    dek: str | None
    intro: list[str] = field(default_factory=list)
    sections: list[ParsedSection] = field(default_factory=list)
    category: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The brief as plain JSON-ready data (``None`` where a part is absent)."""
        return {
            "category": self.category,
            "headline": self.headline,
            "dek": self.dek,
            "intro": list(self.intro),
            "sections": [
                {
                    "label": section.label,
                    "heading": section.heading,
                    "text": section.text,
                    "bullets": list(section.bullets),
                }
                for section in self.sections
            ],
        }


def parse_brief(text: str | bytes) -> ParsedBrief:
    """Parse a pasted brief. Raises only ``BriefParseError``.

    ``text`` may be ``str`` or ``bytes`` (an uploaded .txt file: UTF-8 with or
    without BOM, UTF-16 with BOM, or Windows-1252/Latin-1).
    """
    try:
        return _parse(text)
    except BriefParseError:
        raise
    except Exception as exc:
        # Last-resort guard so a view never turns an odd paste into a server
        # error. The fuzz tests call ``_parse`` directly, so a bug here is still
        # caught by the test suite rather than hidden by this handler.
        raise BriefParseError(
            "The importer could not read this text because of an internal error "
            f"({type(exc).__name__}). Please paste it again as plain text, and "
            "tell the developers if it keeps happening."
        ) from exc


def _parse(text: str | bytes) -> ParsedBrief:
    decoded = _decode(text)
    lines = _split_lines(decoded)
    if not any(line.kind != "blank" for line in lines):
        raise _empty_error()
    lines, crumbs = _drop_chrome(lines)
    blocks = _build_blocks(lines)
    if not blocks:
        raise BriefParseError(
            "The text contains only page furniture (a breadcrumb, 'Share' or "
            "'Subscribe' lines) and no brief. Paste the headline, summary and "
            "sections."
        )
    return _assemble(_classify(blocks), crumbs)


# --------------------------------------------------------------------------
# Step 1: decoding and sanity checks
# --------------------------------------------------------------------------

# File signatures of things editors upload by mistake instead of a .txt file.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF file"),
    (b"PK\x03\x04", "a Word .docx (or another zipped) file"),
    (b"\xd0\xcf\x11\xe0", "an old Word .doc file"),
    (b"{\\rtf", "a Rich Text (.rtf) file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
)

# Control characters that never belong in prose (tab and newlines excluded),
# plus the replacement character and the unassigned specials next to it, which
# is what undecodable bytes turn into.
_GARBAGE_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd\ufff0-\ufff8]")


def _empty_error() -> BriefParseError:
    return BriefParseError(
        "The text is empty. Paste a brief: a headline, a one-sentence summary and "
        "labelled sections such as 'Why it matters:'."
    )


def _decode(data: object) -> str:
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        # UTF-8 uses at most 4 bytes a character: anything longer is too long.
        if len(raw) > MAX_CHARS * 4:
            raise _too_long_error()
        text = _decode_bytes(raw)
    elif isinstance(data, str):
        text = data
    else:
        raise BriefParseError(
            f"Expected the brief as text, got {type(data).__name__}. Paste the text "
            "or upload a .txt file."
        )
    if len(text) > MAX_CHARS:
        raise _too_long_error()
    if not _INVISIBLE_RE.sub("", text).strip():
        raise _empty_error()
    _reject_garbage(text)
    return text


def _too_long_error() -> BriefParseError:
    return BriefParseError(
        f"The text is too long to be a brief: the limit is {MAX_CHARS:,} characters. "
        "Paste just the one brief."
    )


def _decode_bytes(raw: bytes) -> str:
    for signature, what in _BINARY_SIGNATURES:
        if raw.startswith(signature):
            raise BriefParseError(
                f"This looks like {what}, not plain text. Copy the brief's text and "
                "paste it, or save it as plain text (.txt) and upload that."
            )
    # Word's "Unicode text" export is UTF-16 with a byte-order mark.
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                raise _binary_error() from None
    if raw.count(0) > max(2, len(raw) // 100):
        raise _binary_error()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Not UTF-8: most likely a Windows text file. cp1252 leaves five bytes
    # undefined; Latin-1 decodes everything, so it is the final fallback.
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _binary_error() -> BriefParseError:
    return BriefParseError(
        "This file does not contain readable text (it looks like a binary file). "
        "Copy the brief's text and paste it, or save it as plain text (.txt)."
    )


def _reject_garbage(text: str) -> None:
    if not any(ch.isalpha() for ch in text):
        raise BriefParseError(
            "The text contains no words (no letters at all), so it cannot be a "
            "brief. Check that you pasted the right thing."
        )
    # Real prose has no control characters; a few may slip in from a PDF copy,
    # but more than 5% means we are looking at a binary file or a bad decode.
    garbage = len(_GARBAGE_RE.findall(text))
    if garbage > 2 and garbage * 20 > len(text):
        raise _binary_error()


# --------------------------------------------------------------------------
# Step 2: normalising whitespace and classifying lines
# --------------------------------------------------------------------------


@dataclass
class _Line:
    kind: str  # "blank" | "bullet" | "text"
    text: str
    indent: int = 0
    # A bullet marker alone on its line ("•" then the text on the next line,
    # as some web pages copy): the next text line becomes its text.
    awaits_text: bool = False


# Line and paragraph separators other than "\n".
_NEWLINE_RE = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028]")
# Unicode spaces (non-breaking, thin, ideographic…) become plain spaces.
_SPACES = str.maketrans(
    dict.fromkeys(
        "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
        "\u2009\u200a\u202f\u205f\u3000",
        " ",
    )
)
# Invisible characters: C0/C1 controls (except tab and newline), zero-width
# and bidi marks, soft hyphens, BOMs and lone surrogates (which could not be
# stored or encoded later).
_INVISIBLE_RE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
_RUNS_OF_SPACE_RE = re.compile(r"[ \t]+")
# "---", "***", "* * *", "___": a horizontal rule, not content.
_SEPARATOR_CHARS = "-*_=~–—•·"
_SEPARATOR_RE = re.compile(rf"(?:[{_SEPARATOR_CHARS}]\s*){{3,}}")
# Bullet markers. Symbols may touch the text ("•Text"); ASCII markers and
# numbers need a space after them so "-5%" and "**bold**" stay text. Word's
# plain-text export writes sub-bullets as "o" followed by a tab or spaces.
_BULLET_RE = re.compile(
    r"(?P<symbol>[•◦▪‣●○■□▫►▸▹➢➤⁃∙\uf0a7\uf0b7\uf076\uf0d8]|·)\s*"
    r"|(?P<dash>[-–—*+])(?:\s+|$)"
    r"|o(?:\t|\s{2,})"
    r"|(?P<number>\(?\d{1,3}[.)])(?:\s+|$)"
)
_MARKDOWN_HEADING_RE = re.compile(r"#{1,6}\s+")


def _split_lines(text: str) -> list[_Line]:
    text = _NEWLINE_RE.sub("\n", text).replace("\u2029", "\n\n")
    text = _INVISIBLE_RE.sub("", text.translate(_SPACES))
    return [_classify_line(raw) for raw in text.split("\n")]


def _classify_line(raw: str) -> _Line:
    stripped = raw.lstrip(" \t")
    if not stripped or stripped.isspace():
        return _Line("blank", "")
    if stripped[0] in _SEPARATOR_CHARS and _SEPARATOR_RE.fullmatch(stripped.rstrip()):
        return _Line("blank", "")
    indent = sum(4 if ch == "\t" else 1 for ch in raw[: len(raw) - len(stripped)])
    marker = _BULLET_RE.match(stripped)
    if marker:
        content = _collapse(stripped[marker.end() :])
        if content:
            return _Line("bullet", content, indent)
        if marker.group("dash"):
            # A lone "-" or "*" is a rule or a stray keystroke, not a list item.
            return _Line("blank", "")
        return _Line("bullet", "", indent, awaits_text=True)
    content = _collapse(stripped)
    if content.startswith("#"):
        content = _MARKDOWN_HEADING_RE.sub("", content, count=1)
    return _Line("text", content, indent) if content else _Line("blank", "")


def _collapse(text: str) -> str:
    return _RUNS_OF_SPACE_RE.sub(" ", text).strip()


# --------------------------------------------------------------------------
# Step 3: page chrome
# --------------------------------------------------------------------------

# Whole lines that are buttons or furniture of a web page, compared after
# _chrome_key (case-folded, trailing arrows and punctuation removed).
_CHROME_LINES = frozenset(
    {
        "ad",
        "advertisement",
        "advertisement - scroll to continue",
        "back to top",
        "comments",
        "continue reading",
        "copy link",
        "email",
        "facebook",
        "linkedin",
        "listen to this article",
        "more stories",
        "print",
        "read more",
        "related",
        "related articles",
        "related stories",
        "share",
        "share this",
        "share this article",
        "share this story",
        "show comments",
        "skip to content",
        "sponsored",
        "story continues below",
        "tweet",
        "twitter",
        "whatsapp",
    }
)
_SHARE_RE = re.compile(r"share (?:on|via|to) \w+", re.IGNORECASE)
_SUBSCRIBE_RE = re.compile(r"(?:subscribe|sign[ -]?up)\b", re.IGNORECASE)
_JOIN_RE = re.compile(r"(?:join|get|want)\b", re.IGNORECASE)
_NEWSLETTER_RE = re.compile(
    r"\b(?:newsletters?|inbox|e-?mails?|updates|alerts|briefings?|subscribers?)\b",
    re.IGNORECASE,
)
_COPYRIGHT_RE = re.compile(r"(?:©|\(c\)\s*\d{4}|copyright\b|all rights reserved)", re.I)
_READ_TIME_RE = re.compile(r"\d{1,3}\s*-?\s*min(?:ute)?s?\.?\s+read", re.IGNORECASE)
# A date line under a headline: "Dec 8, 2025", "Updated: 8 December 2025 10:30
# CET", "3 hours ago".
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.?"
_DATELINE_RE = re.compile(
    r"(?:(?:updated|published|posted)\b:?\s*)?(?:[a-z]{3,6}day,?\s+)?"
    rf"(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}"
    r"|\d{1,2}\s+(?:minutes?|hours?|days?)\s+ago)"
    r"(?:\s*[-–,|·@]?\s*\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?(?:\s*[a-z]{2,4})?)?",
    re.IGNORECASE,
)
# "Photo: Jane Doe/Agency", "Illustration: …": an image credit.
_PHOTO_CREDIT_RE = re.compile(
    r"(?:photo|image|illustration|photo illustration|photograph)s?"
    r"(?:\s+credit)?\s*:",
    re.IGNORECASE,
)
# "Home » Headline", "Home > World > …", "Start / News / …".
_BREADCRUMB_START_RE = re.compile(
    r"(?:home|homepage|home page|start|front page)\s*(?P<sep>[»›>/|→])", re.I
)
_CRUMB_SEPARATORS_RE = re.compile(r"\s[»›]\s")


def _chrome_key(text: str) -> str:
    return text.casefold().strip(" .:!»›→>|–—-…").replace("–", "-")


def _is_chrome(text: str, *, trailing: bool) -> bool:
    """Is this whole text line page furniture rather than part of the brief?

    ``trailing`` is true for lines after the last real content, where a
    "Subscribe…" or a bare "Go deeper" link can only be furniture. Elsewhere a
    line starting "Sign up" is dropped only when it mentions a newsletter, so
    a paragraph like "Sign-up deadlines loom for schools." survives.
    """
    if len(text) > 300:
        return False  # furniture is short; skip the work for real paragraphs
    key = _chrome_key(text)
    words = len(text.split())
    if key in _CHROME_LINES or _READ_TIME_RE.fullmatch(text):
        return True
    if _DATELINE_RE.fullmatch(text.rstrip(".")):
        return True
    if words <= 15 and _PHOTO_CREDIT_RE.match(text):
        return True
    if words <= 6 and _SHARE_RE.fullmatch(key):
        return True
    if words <= 25 and _COPYRIGHT_RE.match(text):
        return True
    if words <= 15 and not text.endswith(":"):
        if _NEWSLETTER_RE.search(text) and (
            _SUBSCRIBE_RE.match(text) or _JOIN_RE.match(text)
        ):
            return True
        if trailing and _SUBSCRIBE_RE.match(text):
            # "Subscribe to The Daily", "Sign up now"; not "Sign-up deadlines
            # loom for the new school year."
            return words <= 4 or text.casefold().startswith("subscribe")
    # "Go deeper" alone is a link button; "Go deeper:" is a section label.
    return trailing and key == "go deeper" and not text.endswith((":", "："))


def _drop_chrome(lines: list[_Line]) -> tuple[list[_Line], list[str]]:
    """Remove furniture; return the remaining lines and the breadcrumb's crumbs."""
    lines = list(lines)
    crumbs: list[str] = []
    first = next((i for i, line in enumerate(lines) if line.kind != "blank"), None)
    if first is not None and lines[first].kind == "text":
        found = _breadcrumb(lines[first].text)
        if found is not None:
            crumbs = found
            lines[first] = _Line("blank", "")
    # Furniture after the brief: walk back from the end until real content.
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].kind == "blank":
            continue
        if lines[i].kind == "text" and _is_chrome(lines[i].text, trailing=True):
            lines[i] = _Line("blank", "")
            continue
        break
    return [
        _Line("blank", "")
        if line.kind == "text" and _is_chrome(line.text, trailing=False)
        else line
        for line in lines
    ], crumbs


def _breadcrumb(text: str) -> list[str] | None:
    """The crumbs after "Home" if this line is a breadcrumb, else None.

    "Home » World » Italy and Japan…" gives ["World", "Italy and Japan…"]: the
    last crumb is usually the headline, the ones before it its sections.
    """
    start = _BREADCRUMB_START_RE.match(text)
    if start:
        crumbs = text[start.end() :].split(start.group("sep"))
    elif len(_CRUMB_SEPARATORS_RE.findall(text)) >= 2:
        crumbs = re.split(r"[»›]", text)[1:]
    else:
        return None
    return [crumb.strip() for crumb in crumbs if crumb.strip()]


# --------------------------------------------------------------------------
# Step 4: joining lines into paragraphs and bullets
# --------------------------------------------------------------------------


@dataclass
class _Block:
    kind: str  # "para" | "bullet"
    parts: list[str]  # the lines of a wrapped paragraph, joined once at the end
    indent: int = 0
    awaits_text: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.parts)


# A line ending in one of these closes a sentence (or a label), so the next
# line starts a new paragraph even without a blank line.
_TERMINAL = tuple('.!?:;…"”’)]')


def _build_blocks(lines: list[_Line]) -> list[_Block]:
    """Join wrapped lines: each paragraph or bullet becomes one block.

    Pasted web text has one paragraph per line, but text from e-mails or
    plain-text files is hard-wrapped. A line continues the previous one when it
    is indented deeper than a bullet's marker, or when it starts in lower case
    and the previous line did not end a sentence. Anything else starts a new
    block, which keeps a headline and a dek on adjacent lines apart.
    """
    blocks: list[_Block] = []
    after_blank = True
    for line in lines:
        if line.kind == "blank":
            after_blank = True
            continue
        last = blocks[-1] if blocks else None
        if line.kind == "bullet":
            parts = [line.text] if line.text else []
            blocks.append(_Block("bullet", parts, line.indent, line.awaits_text))
        elif last and last.kind == "bullet" and last.awaits_text:
            last.parts, last.awaits_text = [line.text], False
        elif last and _continues(last, line, after_blank):
            last.parts.append(line.text)
        else:
            blocks.append(_Block("para", [line.text], line.indent))
        after_blank = False
    return [block for block in blocks if block.parts]


def _continues(last: _Block, line: _Line, after_blank: bool) -> bool:
    if last.kind == "bullet" and line.indent > last.indent:
        # Indented under a bullet: its continuation, unless a blank line
        # separates them and the line is a section label in its own right.
        return not (after_blank and _match_known_label(line.text))
    if after_blank:
        return False
    return line.text[:1].islower() and not last.parts[-1].endswith(_TERMINAL)


# --------------------------------------------------------------------------
# Step 5a: recognising labels
# --------------------------------------------------------------------------

_APOSTROPHES = "['’‘ʼ`´]"


def _label_pattern(label: str) -> str:
    """A regex for a label: any apostrophe, any spacing, optional comma."""
    out = []
    for ch in label:
        if ch == "'":
            out.append(_APOSTROPHES)
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


def _match_known_label(text: str) -> tuple[str, str] | None:
    """(label as written, rest of the line) when text starts with a known label."""
    opener = text[:2] if text.startswith(_BOLD_MARKERS) else ""
    body = text[len(opener) :].lstrip() if opener else text
    match = _KNOWN_LABEL_RE.match(body)
    if not match:
        return None
    rest = body[match.end() :].strip()
    if opener and not match.group("close") and rest.startswith(opener):
        rest = rest[len(opener) :].strip()  # "**Why it matters:** rest"
    return _collapse(match.group("label")), rest


def _strip_bold(text: str) -> str:
    """Remove markdown bold wrapping the whole text ("**Title**" -> "Title")."""
    for marker in _BOLD_MARKERS:
        if len(text) > 4 and text.startswith(marker) and text.endswith(marker):
            return text[2:-2].strip()
    return text


def _match_bare_label(text: str) -> str | None:
    """A known label alone on its line without a colon (a Word heading)."""
    body = _strip_bold(text)
    return _collapse(body) if _BARE_LABEL_RE.fullmatch(body) else None


def _match_custom_label(text: str) -> str | None:
    """A short capitalised phrase ending with a colon, e.g. "Italy is responding to:".

    Only a candidate: the caller also requires bullets to follow, because a
    long or free-standing line ending with a colon is ordinary prose.
    """
    body = _strip_bold(text)
    if not body.endswith((":", "：")):
        return None
    body = _strip_bold(body[:-1].rstrip())
    if not body or len(body) > _CUSTOM_LABEL_MAX_CHARS or not body[0].isupper():
        return None
    if any(ch in body for ch in '.!?:;"“”*_') or not any(c.isalpha() for c in body):
        return None
    return body if len(body.split()) <= _CUSTOM_LABEL_MAX_WORDS else None


@dataclass
class _Item:
    kind: str  # "label" | "para" | "bullet"
    text: str  # a label's lead text ("" when none), or the paragraph/bullet
    label: str = ""


def _classify(blocks: list[_Block]) -> list[_Item]:
    """Decide which paragraphs are section labels.

    Bullets are never labels: "• Between the lines: …" stays a bullet. Custom
    and colon-less labels are accepted only after the first paragraph (the
    headline is never a label) and only when something follows them; a
    custom label must be followed directly by a bullet.
    """
    items: list[_Item] = []
    seen_para = False
    for i, block in enumerate(blocks):
        if block.kind == "bullet":
            items.append(_Item("bullet", block.text))
            continue
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        known = _match_known_label(block.text)
        if known:
            items.append(_Item("label", known[1], label=known[0]))
        elif seen_para and following and (label := _match_bare_label(block.text)):
            items.append(_Item("label", "", label=label))
        elif (
            seen_para
            and following
            and following.kind == "bullet"
            and (label := _match_custom_label(block.text))
        ):
            items.append(_Item("label", "", label=label))
        else:
            items.append(_Item("para", block.text))
        seen_para = True
    return items


# --------------------------------------------------------------------------
# Step 5b: headings inside lead text
# --------------------------------------------------------------------------

# A heading is a short noun phrase, so a first sentence containing a finite
# verb is prose. English cannot be parsed with word lists, so the test below is
# deliberately conservative: when in doubt it finds a verb and does not split.
#
# Forms that are (nearly) always finite verbs, wherever they appear.
_FINITE_VERBS = frozenset(
    """
    am is are was were isn't aren't wasn't weren't be
    has have had hasn't haven't hadn't
    do does did don't doesn't didn't
    will would shall should can could may might must won't wouldn't can't
    couldn't shouldn't mustn't
    says said tells told gets got makes made goes went comes came takes took
    sees saw knows knew thinks thought seems seemed becomes became remains
    means meant gives gave keeps kept holds held finds found shows showed
    wants needs looks expects hopes plans aims warns argues claims insists adds
    rose fell grew sold bought paid ran met sent spent built brought began
    chose drove wrote spoke broke stood struck sank slid fought sought caught
    felt heard threw flew drew wore swore shook rang sang
    """.split()
)
# Verbs that are also common nouns ("a rate cut", "a big win", "new rules"):
# they count only after something that can be a subject — a pronoun, a
# name, or a plural noun ("The Fed cut rates.", "Two tracks define…").
_SUBJECT_VERBS = frozenset(
    """
    say make take see know think want need look expect hope plan aim warn
    argue claim insist add seem come go get give keep hold find show mean
    remain become bring build spend send win lose lead pay buy sell move turn
    help push drive fear agree back reject oppose support join leave meet
    define face signal mark sign risk threaten promise follow offer raise
    lower hike slash boost lift trim ease tighten weigh eye consider prepare
    struggle fail continue return reach top beat miss double surge jump soar
    slump drop dip climb sink tumble plunge rally slip gain rise fall grow
    matter play deny note call ask urge seek vow pledge try use open close
    start end stop work run stand sit cut set hit bid cost spread split put
    let shut hurt quit left lost won led
    """.split()
)
_SUBJECT_PRONOUNS = frozenset("i we you he she it they who".split())
# "It's", "that's", "there's": verb contractions (unlike "Italy's").
_S_CONTRACTION_HOSTS = _SUBJECT_PRONOUNS | frozenset(
    "that there here what where this".split()
)
_VERB_CONTRACTIONS = ("n't", "'re", "'ve", "'ll", "'d", "'m")
# Imperatives open a sentence: "Expect more cuts."
_IMPERATIVES = frozenset(
    "expect watch look consider remember keep note think imagine meet see read "
    "don't let ask take make get".split()
)
# Words ending in -ed that are not verbs.
_ED_NON_VERBS = frozenset(
    "hundred kindred sacred naked wicked rugged ragged jagged crooked beloved "
    "united wretched indeed speed greed breed creed steed tweed embed shred".split()
)
# Capitalised only because they open the sentence, so not a subject:
# "New rules for TikTok." must not read "rules" as a verb.
_OPENING_MODIFIERS = frozenset(
    """
    a an the this that these those its their his her our my your some any no
    every each more most fewer few many new big bigger higher lower two three
    four five six seven eight nine ten first last next early late old young
    small rival other key top record rising falling fresh another all both
    """.split()
)
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr st jr sr vs etc inc ltd co corp gov sen rep gen col lt sgt
    prof no nos jan feb mar apr jun jul aug sep sept oct nov dec approx est
    dept univ ave fig vol
    """.split()
)
_SENTENCE_END_RE = re.compile(r"[.!?][\"”’')\]]*\s+")
_BOLD_LEAD_RE = re.compile(r"(\*\*|__)(?P<heading>.+?)\1(?P<rest>.*)", re.DOTALL)
_HEADING_MAX_WORDS = 8
_TOKEN_STRIP = ".,;:!?\"“”‘’'()[]{}—–-…*_"


def _split_heading(lead: str) -> tuple[str | None, str | None]:
    """Split a lead into (heading, text); either may be None.

    Markdown bold at the start ("**A deeper axis.** The rest…") is a certain
    heading. Otherwise the first sentence is a heading only if it is short
    (2-8 words), ends with a full stop, more text follows, and it has no finite
    verb (see _has_finite_verb): "A deeper Italy–Japan axis." is a heading,
    "Italy is back in the Indo-Pacific." is not.
    """
    lead = lead.strip()
    if not lead:
        return None, None
    bold = _BOLD_LEAD_RE.fullmatch(lead)
    if bold and bold.group("heading").strip():
        return bold.group("heading").strip(), bold.group("rest").strip() or None
    sentence, rest = _first_sentence(lead)
    if rest and _looks_like_heading(sentence):
        return sentence, rest
    return None, lead


def _first_sentence(text: str) -> tuple[str, str]:
    """(first sentence, rest); rest is "" when the text is one sentence.

    A full stop after an initial ("J."), an abbreviation ("Dr.") or a dotted
    acronym ("U.S.") does not end the sentence, nor does one followed by a
    lower-case word.
    """
    # A heading is at most a few words, so only the start needs searching.
    for match in _SENTENCE_END_RE.finditer(text, 0, min(len(text), 300)):
        opening = text[match.end() : match.end() + 3].lstrip("\"“‘'([")[:1]
        if not (opening.isupper() or opening.isdigit()):
            continue
        before = text[: match.start()].split()
        token = before[-1].casefold().strip("(\"“‘'") if before else ""
        if len(token) == 1 or token in _ABBREVIATIONS or "." in token:
            continue
        return text[: match.end()].rstrip(), text[match.end() :].strip()
    return text, ""


def _looks_like_heading(sentence: str) -> bool:
    if not sentence.endswith(".") or sentence.endswith(".."):
        return False
    body = sentence[:-1]
    if any(ch in body for ch in ':;?!"“”'):
        return False  # a quote or a clause, not a sub-headline
    words = body.split()
    if not 2 <= len(words) <= _HEADING_MAX_WORDS:
        return False
    if not (body[0].isupper() or body[0].isdigit()):
        return False
    return not _has_finite_verb(words)


def _has_finite_verb(words: list[str]) -> bool:
    tokens = [word.replace("’", "'").strip(_TOKEN_STRIP) for word in words]
    lowered = [token.casefold() for token in tokens]
    if lowered[0] in _IMPERATIVES:
        return True
    for i, (token, low) in enumerate(zip(tokens, lowered, strict=True)):
        if not low:
            continue
        if low in _FINITE_VERBS or low in _SUBJECT_PRONOUNS:
            return True
        if low.endswith(_VERB_CONTRACTIONS):
            return True
        if low.endswith("'s") and low[:-2] in _S_CONTRACTION_HOSTS:
            return True
        # Regular past tense: "accelerated", "Delayed". Participles used as
        # adjectives ("a renewed push") also match; that only means no split.
        if len(low) >= 5 and low.endswith("ed") and low not in _ED_NON_VERBS:
            if i == 0 or token[0].islower():
                return True
        if i > 0 and token[0].islower() and _after_subject(tokens, i):
            if low in _SUBJECT_VERBS or _looks_like_third_person(low):
                return True
    return False


def _after_subject(tokens: list[str], i: int) -> bool:
    """Could tokens[i - 1] be the subject of a verb at tokens[i]?"""
    prev = tokens[i - 1]
    low = prev.casefold()
    if not prev or low.endswith("'s"):
        return False  # "Rome's plans": a possessive starts a noun phrase
    if low in _SUBJECT_PRONOUNS:
        return True
    if prev[0].isupper() and not (i - 1 == 0 and low in _OPENING_MODIFIERS):
        return True  # a name: "Rome reenters", "The Fed cut"
    # A plural noun: "two tracks define". Only used with _SUBJECT_VERBS.
    return tokens[i].casefold() in _SUBJECT_VERBS and _looks_like_plural(low)


def _looks_like_third_person(low: str) -> bool:
    """True for "reenters", "escalates"; false for "axis", "bonus", "politics"."""
    return (
        len(low) >= 4
        and low.endswith("s")
        and not low.endswith(("ss", "us", "is", "ics", "'s"))
    )


def _looks_like_plural(low: str) -> bool:
    return len(low) >= 3 and low.endswith("s") and not low.endswith(("ss", "us"))


# --------------------------------------------------------------------------
# Step 5c: assembling the brief
# --------------------------------------------------------------------------

_CATEGORY_SMALL_WORDS = frozenset("& and of the in for on at to - –".split())
_BYLINE_RE = re.compile(r"by\s+[A-Z]", re.IGNORECASE)


def _assemble(items: list[_Item], crumbs: list[str]) -> ParsedBrief:
    first_label = next(
        (i for i, item in enumerate(items) if item.kind == "label"), len(items)
    )
    brief = ParsedBrief(headline=None, dek=None)
    _fill_head(brief, items[:first_label], crumbs)
    _fill_sections(brief, items[first_label:])
    _check(brief)
    return brief


def _fill_head(brief: ParsedBrief, head: list[_Item], crumbs: list[str]) -> None:
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
        brief.headline = _strip_bold(head.pop(0).text)
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
    brief.intro = [item.text for item in head]


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
    if not 1 <= len(words) <= 3 or len(text) > 40 or text.endswith(_TERMINAL):
        return False
    if text.endswith((",", "-", "–", "—")) or not text[0].isupper():
        return False
    return all(
        word[0].isupper() or word[0].isdigit() or word in _CATEGORY_SMALL_WORDS
        for word in words
    )


def _same_title(crumb: str, title: str) -> bool:
    """Does a breadcrumb's last crumb name this title? Crumbs may be truncated."""
    a, b = _title_key(crumb), _title_key(title)
    if not a or not b:
        return False
    return a == b or (len(a) >= 10 and (b.startswith(a) or b.endswith(a)))


def _title_key(text: str) -> str:
    text = re.sub(_APOSTROPHES, "'", text.casefold())
    return _collapse(text.replace("...", " ").strip(" .…:-–—\"'“”"))


def _is_byline(text: str) -> bool:
    words = text.split()
    return (
        len(words) <= 8
        and bool(_BYLINE_RE.match(text))
        and not text.endswith((".", ":"))
        and all(word[0].isupper() or word in {"and", "&"} for word in words[1:])
    )


def _fill_sections(brief: ParsedBrief, body: list[_Item]) -> None:
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
    groups: list[tuple[ParsedSection, list[str], list[str]]] = []
    for item in body:
        if item.kind == "label":
            heading, text = _split_heading(item.text)
            groups.append((ParsedSection(item.label, heading, None, []), [], []))
            if text:
                groups[-1][1].append(text)
            continue
        if not groups:  # unreachable: the body starts with a label
            brief.intro.append(item.text)
            continue
        section, paragraphs, after_bullets = groups[-1]
        if item.kind == "bullet":
            section.bullets.append(item.text)
        elif not (paragraphs or section.heading or section.bullets):
            # The label stood alone: this paragraph is its lead.
            section.heading, text = _split_heading(item.text)
            paragraphs.append(text or "")
        elif (
            len(paragraphs) == 1
            and section.heading is None
            and not section.bullets
            and _looks_like_heading(paragraphs[0])
        ):
            # "Zoom in: A deeper axis." with the text on the next line.
            section.heading, paragraphs[0] = paragraphs[0], item.text
        else:
            paragraphs.append(item.text)
            if section.bullets:
                after_bullets.append(item.text)
    for section, paragraphs, after_bullets in groups:
        section.text = "\n\n".join(part for part in paragraphs if part) or None
        brief.sections.append(section)
        if after_bullets:
            brief.warnings.append(
                f"In '{section.label}', {_count(len(after_bullets), 'paragraph')} "
                f"after the bullets (from '{_short(after_bullets[0])}') went into "
                "the section's text, above the bullets. Check the order."
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
        key = _title_key(section.label)
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
