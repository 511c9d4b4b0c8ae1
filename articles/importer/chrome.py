"""Step 3: page furniture (breadcrumb, share, advert and subscribe lines)."""

from __future__ import annotations

import re

from articles.importer.labels import match_known_label
from articles.importer.lines import Line

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
        "menu",
        "more stories",
        "print",
        "read more",
        "related",
        "related articles",
        "related stories",
        "search",
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
_TIME = r"\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?(?:\s*[a-z]{2,4})?"
_DATELINE_RE = re.compile(
    r"(?:(?:updated|published|posted)\b:?\s*)?(?:[a-z]{3,6}day,?\s+)?"
    rf"(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}"
    r"|\d{1,2}\s+(?:minutes?|hours?|days?)\s+ago)"
    rf"(?:\s*[-–,|·@]?\s*{_TIME})?"
    # "Updated 6:42 p.m.": a time alone, after the word that says what it is.
    rf"|(?:updated|published|posted)\b:?\s*(?:at\s+)?{_TIME}",
    re.IGNORECASE,
)
# "Subject: …", "From: …" at the top of a brief forwarded from a mailbox.
_MAIL_HEADER_RE = re.compile(r"(?:subject|from|to|date|sent|cc|reply-to)\s*:\s", re.I)
# "News | Sport | Weather", "MARKETS DAILY | Tuesday": a menu or a masthead.
_WEEKDAY_RE = re.compile(
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|issue\s+(?:no\.?\s*)?#?\d", re.I
)
# Lines from a newsletter's or a page's footer, wherever they stand in it.
_FOOTER_RE = re.compile(
    r"forwarded this|subscribe here|sign up here|unsubscribe\b"
    r"|(?:you are|you're) receiving this|update your preferences"
    r"|manage (?:your )?(?:preferences|subscription)"
    r"|view (?:this|it) in (?:your|a) browser",
    re.IGNORECASE,
)
# "Related: Why bus drivers quit", "Read more: …": a link to another story.
_LINK_LINE_RE = re.compile(
    r"(?:related|read more|read next|see also|also read|more)\s*:\s*\S", re.I
)
# The heading of a page's list of other stories: it and all after it go.
_RAIL_HEADINGS = frozenset(
    {
        "latest news",
        "more news",
        "more stories",
        "most popular",
        "most read",
        "read next",
        "recommended",
        "related",
        "related articles",
        "related stories",
        "top stories",
        "trending",
        "you may also like",
    }
)
_MORE_FROM_RE = re.compile(r"more (?:from|in|on) \w[\w &]{0,30}", re.IGNORECASE)
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
    if words <= 20 and _LINK_LINE_RE.match(text):
        return True
    if _is_menu(text):
        return True
    if trailing and words <= 40 and _FOOTER_RE.search(text):
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


def _is_menu(text: str) -> bool:
    """A row of short links ("News | Sport | Weather"), or a newsletter's
    masthead with its day ("MARKETS DAILY | Tuesday")."""
    if "|" not in text or len(text) > 120:
        return False
    parts = [part.strip() for part in text.split("|")]
    if not all(part and len(part.split()) <= 3 for part in parts):
        return False
    return len(parts) >= 3 or any(_WEEKDAY_RE.match(part) for part in parts)


def drop_chrome(lines: list[Line]) -> tuple[list[Line], list[str], list[str]]:
    """Remove furniture; return the remaining lines, the breadcrumb's crumbs
    and warnings about anything longer than a line that was dropped."""
    lines = list(lines)
    crumbs: list[str] = []
    notes: list[str] = []
    first = next((i for i, line in enumerate(lines) if line.kind != "blank"), None)
    # A mail's headers, above everything else.
    while (
        first is not None
        and lines[first].kind == "text"
        and _MAIL_HEADER_RE.match(lines[first].text)
    ):
        lines[first] = Line("blank", "")
        first = next(
            (i for i in range(first, len(lines)) if lines[i].kind != "blank"), None
        )
    if first is not None and lines[first].kind == "text":
        found = _breadcrumb(lines[first].text)
        if found is not None:
            crumbs = found
            lines[first] = Line("blank", "")
    _drop_rail(lines, notes)
    # Furniture after the brief: walk back from the end until real content.
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].kind == "blank":
            continue
        if lines[i].kind == "text" and _is_chrome(lines[i].text, trailing=True):
            lines[i] = Line("blank", "")
            continue
        break
    return (
        [
            Line("blank", "")
            if line.kind == "text" and _is_chrome(line.text, trailing=False)
            else line
            for line in lines
        ],
        crumbs,
        notes,
    )


def _drop_rail(lines: list[Line], notes: list[str]) -> None:
    """Drop a page's list of other stories ("Most read", then headlines).

    It starts at a heading such as "Most read" or "More from Sport" and runs
    to the end, as long as no section label follows (then the heading was
    something else and nothing is dropped).
    """
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if line.kind == "text" and _is_rail_heading(line.text)
        ),
        None,
    )
    if start is None:
        return
    rest = [line for line in lines[start + 1 :] if line.kind != "blank"]
    if any(line.kind == "text" and match_known_label(line.text) for line in rest):
        return
    content = [line for line in rest if not _is_chrome(line.text, trailing=True)]
    if content:
        notes.append(
            f"Dropped '{lines[start].text}' and the {len(content)} line(s) after it "
            "(a list of other stories on the page). Paste them again if they "
            "belong to the brief."
        )
    for i in range(start, len(lines)):
        lines[i] = Line("blank", "")


def _is_rail_heading(text: str) -> bool:
    key = _chrome_key(text)
    return key in _RAIL_HEADINGS or bool(_MORE_FROM_RE.fullmatch(key))


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
