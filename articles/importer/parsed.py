"""What the importer returns, and the one error it raises."""

from __future__ import annotations

from dataclasses import dataclass, field


class BriefParseError(ValueError):
    """The text cannot be read as a brief; the message tells the editor why."""


@dataclass
class ParsedSection:
    label: str
    heading: str | None
    text: str | None
    bullets: list[str] = field(default_factory=list)
    # The bullets are a numbered list (1, 2, 3…), shown as one.
    numbered: bool = False


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
                    "numbered": section.numbered,
                }
                for section in self.sections
            ],
        }
