"""Parsing a few lines under a standard headline and dek, for the importer tests."""

from articles.importer import ParsedBrief, parse_brief


def brief_with(body: str) -> ParsedBrief:
    """Parse ``body`` under a standard headline and dek."""
    return parse_brief(f"A headline for the test\n\nThe dek of the test.\n\n{body}")


def only_section(body: str):
    brief = brief_with(body)
    assert len(brief.sections) == 1, brief.sections
    return brief.sections[0]
