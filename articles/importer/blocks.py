"""Step 4: join wrapped lines into paragraphs and bullets."""

from __future__ import annotations

from dataclasses import dataclass

from articles.importer.labels import match_known_label
from articles.importer.lines import Line


@dataclass
class Block:
    kind: str  # "para" | "bullet"
    parts: list[str]  # the lines of a wrapped paragraph, joined once at the end
    indent: int = 0
    awaits_text: bool = False
    marker: str = ""  # a numbered item's "2." (see Line.marker)
    heading: bool = False  # a Markdown heading (see Line.heading)

    @property
    def text(self) -> str:
        return " ".join(self.parts)


# A line ending in one of these closes a sentence (or a label), so the next
# line starts a new paragraph even without a blank line.
TERMINAL = tuple('.!?:;…"”’)]')


def build_blocks(lines: list[Line]) -> list[Block]:
    """Join wrapped lines: each paragraph or bullet becomes one block.

    Pasted web text has one paragraph per line, but text from e-mails or
    plain-text files is hard-wrapped. A line continues the previous one when it
    is indented deeper than a bullet's marker, or when it starts in lower case
    and the previous line did not end a sentence. Anything else starts a new
    block, which keeps a headline and a dek on adjacent lines apart.
    """
    blocks: list[Block] = []
    after_blank = True
    width = _wrap_width(lines)
    for line in lines:
        if line.kind == "blank":
            after_blank = True
            continue
        last = blocks[-1] if blocks else None
        if line.kind == "bullet":
            parts = [line.text] if line.text else []
            blocks.append(
                Block("bullet", parts, line.indent, line.awaits_text, line.marker)
            )
        elif last and last.kind == "bullet" and last.awaits_text:
            last.parts, last.awaits_text = [line.text], False
        elif last and _continues(last, line, after_blank, width):
            last.parts.append(line.text)
        else:
            blocks.append(Block("para", [line.text], line.indent, heading=line.heading))
        after_blank = False
    return [block for block in blocks if block.parts]


def _continues(last: Block, line: Line, after_blank: bool, width: int | None) -> bool:
    if last.kind == "bullet" and line.indent > last.indent:
        # Indented under a bullet: its continuation, unless a blank line
        # separates them and the line is a section label in its own right.
        return not (after_blank and match_known_label(line.text))
    if after_blank or last.heading or line.heading:
        return False
    previous = last.parts[-1]
    if width and len(previous) >= width - _WRAP_SLACK and last.kind == "para":
        # A full line of a hard-wrapped text goes on, whatever the next
        # line starts with ("…protect about" / "3,800 homes…"), unless
        # that line opens a section.
        return not match_known_label(line.text)
    return line.text[:1].islower() and not previous.endswith(TERMINAL)


# A wrapped line is at most this much shorter than the longest line.
_WRAP_SLACK = 15


def _wrap_width(lines: list[Line]) -> int | None:
    """The width a hard-wrapped text (an e-mail, a .txt) was wrapped at.

    None for text pasted from a page, one paragraph to a line: its longest
    line is far over 80 characters, or few lines come near its longest.
    """
    lengths = [len(line.text) for line in lines if line.kind == "text"]
    if not lengths:
        return None
    width = max(lengths)
    if not 40 <= width <= 80:
        return None
    near = sum(1 for n in lengths if n >= width - _WRAP_SLACK)
    return width if near >= 3 else None
