"""Turn a pasted "Smart Brevity" brief into structured data.

An editor pastes a brief copied from a document or a web page; ``parse_brief``
returns its headline, dek, intro paragraphs and labelled sections, so the CMS
can pre-fill an article form. The parser is forgiving on purpose: whatever it is
unsure about is kept and explained in ``ParsedBrief.warnings`` rather than
dropped. The only exception it raises is ``BriefParseError``, whose message is
written for the editor.

The work happens in small steps, one module each:

1. ``decode``    bytes or str -> str; rejects binary files, empty or huge input.
2. ``lines``     normalises whitespace and classifies lines (blank/bullet/text).
3. ``chrome``    removes page furniture: breadcrumb, share/advert/subscribe.
4. ``blocks``    joins wrapped lines into paragraphs and bullets.
5. ``labels``    decides which paragraphs are section labels, ``headings``
   splits a heading off a section's lead, and ``assemble`` finds the
   category, headline, dek, intro and sections.

Everything is line based with anchored, non-nested regular expressions, so the
running time grows linearly with the input (which is capped at ``MAX_CHARS``).

Known limits, all heuristics that fail safe (content is kept, not lost):

* Heading detection (``split_heading``) uses word lists, not a grammar: a
  fragment whose verb is unknown ("Tariffs bite. …") is split off as a
  heading, and a noun phrase ending in a "verb-looking" word after a name
  ("Big Tech earnings. …") is left in the text.
* Labels outside the known list are recognised by shape (a short phrase
  opening a paragraph, ended by a colon or a dash) and by style (written like
  the brief's known labels); a phrase that has the shape but not the style
  stays in the text, with a warning naming it.
* A text is taken as hard-wrapped when its lines stop at one width of 40-80
  characters; then a full line always runs on into the next. Elsewhere a line
  that starts with a capital letter ("…said Jerome" / "Powell, the chair…")
  starts a new paragraph.
* Whatever is dropped beyond single lines of page furniture (a "Most read"
  list) or moved (a paragraph after the bullets) is named in a warning.
* Inline markdown (``*italic*``, ``**bold**`` mid-sentence) is kept verbatim;
  only bold around labels and headings is removed.
"""

from __future__ import annotations

from articles.importer.assemble import assemble
from articles.importer.blocks import build_blocks
from articles.importer.chrome import drop_chrome
from articles.importer.decode import MAX_CHARS, decode, empty_error
from articles.importer.labels import KNOWN_LABELS, classify
from articles.importer.lines import split_lines
from articles.importer.parsed import BriefParseError, ParsedBrief, ParsedSection

__all__ = [
    "KNOWN_LABELS",
    "MAX_CHARS",
    "BriefParseError",
    "ParsedBrief",
    "ParsedSection",
    "parse_brief",
]


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
    decoded = decode(text)
    lines = split_lines(decoded)
    if not any(line.kind != "blank" for line in lines):
        raise empty_error()
    lines, crumbs, notes = drop_chrome(lines)
    blocks = build_blocks(lines)
    if not blocks:
        raise BriefParseError(
            "The text contains only page furniture (a breadcrumb, 'Share' or "
            "'Subscribe' lines) and no brief. Paste the headline, summary and "
            "sections."
        )
    brief = assemble(classify(blocks), crumbs)
    brief.warnings[:0] = notes
    return brief
