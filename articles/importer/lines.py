"""Step 2: normalise whitespace and classify each line (blank, bullet, text)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from articles.importer.decode import INVISIBLE_RE


@dataclass
class Line:
    kind: str  # "blank" | "bullet" | "text"
    text: str
    indent: int = 0
    # A bullet marker alone on its line ("•" then the text on the next line,
    # as some web pages copy): the next text line becomes its text.
    awaits_text: bool = False
    # A numbered item's marker as written ("2.", "3)", "(4)"); "" otherwise.
    marker: str = ""
    # A Markdown heading ("## Why it matters"), its "#" marks removed.
    heading: bool = False


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
_RUNS_OF_SPACE_RE = re.compile(r"[ \t]+")
# "---", "***", "* * *", "___": a horizontal rule, not content.
_SEPARATOR_CHARS = "-*_=~–—•·"
# Two will do: "--" is how an e-mail's signature starts.
_SEPARATOR_RE = re.compile(rf"(?:[{_SEPARATOR_CHARS}]\s*){{2,}}")
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


def split_lines(text: str) -> list[Line]:
    text = _NEWLINE_RE.sub("\n", text).replace("\u2029", "\n\n")
    text = INVISIBLE_RE.sub("", text.translate(_SPACES))
    return [_classify_line(raw) for raw in text.split("\n")]


def _classify_line(raw: str) -> Line:
    stripped = raw.lstrip(" \t")
    if not stripped or stripped.isspace():
        return Line("blank", "")
    if stripped[0] in _SEPARATOR_CHARS and _SEPARATOR_RE.fullmatch(stripped.rstrip()):
        return Line("blank", "")
    indent = sum(4 if ch == "\t" else 1 for ch in raw[: len(raw) - len(stripped)])
    marker = _BULLET_RE.match(stripped)
    if marker:
        content = collapse(stripped[marker.end() :])
        number = marker.group("number") or ""
        if content:
            return Line("bullet", content, indent, marker=number)
        if marker.group("dash"):
            # A lone "-" or "*" is a rule or a stray keystroke, not a list item.
            return Line("blank", "")
        return Line("bullet", "", indent, awaits_text=True, marker=number)
    content = collapse(stripped)
    heading = _MARKDOWN_HEADING_RE.match(content)
    if heading:
        content = content[heading.end() :]
    if not content:
        return Line("blank", "")
    return Line("text", content, indent, heading=bool(heading))


def collapse(text: str) -> str:
    return _RUNS_OF_SPACE_RE.sub(" ", text).strip()
