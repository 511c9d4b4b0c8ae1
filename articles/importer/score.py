"""How well the importer reads a folder of briefs whose structure is known.

Each brief is a pair: ``NAME.txt`` (the paste) and ``NAME.json`` (what an
editor would want from it: category, headline, dek, intro, sections and,
optionally, fragments of the warnings the paste must raise). A section counts
as recovered only when its label, heading, text and bullets are all exactly
right (and its numbering, when the JSON says whether it is numbered). Used
by ``manage.py import_brief --score DIR`` and by the corpus test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from articles.importer import BriefParseError, parse_brief

SECTION_KEYS = ("label", "heading", "text", "bullets", "numbered")
HEAD_KEYS = ("category", "dek", "intro")


@dataclass
class BriefScore:
    name: str
    sections: int  # expected
    exact: int  # expected sections found exactly
    extra: int  # parsed sections under a label the brief does not have
    headline: bool
    head: bool  # category, dek and intro
    missing_warnings: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)  # what differed, readable
    error: str = ""


@dataclass
class Score:
    briefs: list[BriefScore]

    @property
    def sections(self) -> int:
        return sum(brief.sections for brief in self.briefs)

    @property
    def exact(self) -> int:
        return sum(brief.exact for brief in self.briefs)

    @property
    def headlines(self) -> int:
        return sum(brief.headline for brief in self.briefs)

    @property
    def section_rate(self) -> float:
        return self.exact / self.sections if self.sections else 1.0

    @property
    def headline_rate(self) -> float:
        return self.headlines / len(self.briefs) if self.briefs else 1.0


def score_folder(folder: Path) -> Score:
    """Score every NAME.txt in `folder` that has a NAME.json beside it."""
    pairs = sorted(
        path for path in folder.glob("*.txt") if path.with_suffix(".json").exists()
    )
    return Score([score_brief(path) for path in pairs])


def score_brief(path: Path) -> BriefScore:
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    wanted = expected.get("sections", [])
    try:
        parsed = parse_brief(path.read_bytes())
    except BriefParseError as exc:
        return BriefScore(path.stem, len(wanted), 0, 0, False, False, error=str(exc))
    got = parsed.to_dict()

    unmatched = list(got["sections"])
    exact, misses = 0, []
    for section in wanted:
        keys = [key for key in SECTION_KEYS if key in section]
        match = next(
            (s for s in unmatched if all(s[key] == section[key] for key in keys)),
            None,
        )
        if match is not None:
            unmatched.remove(match)
            exact += 1
        else:
            misses.append(_describe_miss(section, got["sections"], keys))
    # A parsed section under a label the brief does not have was invented
    # (split off, or prose read as a label); a wrong one is described above.
    labels = {section["label"] for section in wanted}
    invented = [s for s in unmatched if s["label"] not in labels]
    misses += [f"extra section {_brief_section(s)}" for s in invented]

    headline = got["headline"] == expected.get("headline")
    if not headline:
        misses.insert(
            0, f"headline {got['headline']!r}, expected {expected.get('headline')!r}"
        )
    head = all(got[key] == expected[key] for key in HEAD_KEYS if key in expected)
    if not head:
        misses += [
            f"{key} {got[key]!r}, expected {expected[key]!r}"
            for key in HEAD_KEYS
            if key in expected and got[key] != expected[key]
        ]
    missing = [
        fragment
        for fragment in expected.get("warnings", [])
        if not any(fragment in warning for warning in parsed.warnings)
    ]
    return BriefScore(
        path.stem, len(wanted), exact, len(invented), headline, head, missing, misses
    )


def _describe_miss(section: dict, parsed: list[dict], keys: list[str]) -> str:
    """What went wrong with one expected section, against the nearest parsed one."""
    same_label = [s for s in parsed if s["label"] == section["label"]]
    if not same_label:
        return f"missing section {_brief_section(section)}"
    found = same_label[0]
    wrong = ", ".join(
        f"{key} {found[key]!r} (expected {section[key]!r})"
        for key in keys
        if found[key] != section[key]
    )
    return f"section {section['label']!r}: {wrong}"


def _brief_section(section: dict) -> str:
    text = (section.get("text") or "")[:40]
    return f"{section['label']!r} ({text!r}…, {len(section['bullets'])} bullets)"
