"""Step 3: page furniture (breadcrumb, share, advert and subscribe lines)."""

from __future__ import annotations

import re

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


def drop_chrome(lines: list[Line]) -> tuple[list[Line], list[str]]:
    """Remove furniture; return the remaining lines and the breadcrumb's crumbs."""
    lines = list(lines)
    crumbs: list[str] = []
    first = next((i for i, line in enumerate(lines) if line.kind != "blank"), None)
    if first is not None and lines[first].kind == "text":
        found = _breadcrumb(lines[first].text)
        if found is not None:
            crumbs = found
            lines[first] = Line("blank", "")
    # Furniture after the brief: walk back from the end until real content.
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].kind == "blank":
            continue
        if lines[i].kind == "text" and _is_chrome(lines[i].text, trailing=True):
            lines[i] = Line("blank", "")
            continue
        break
    return [
        Line("blank", "")
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
