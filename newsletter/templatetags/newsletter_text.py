"""Filters for plain-text email parts and edition headers."""

import textwrap

from django import template

register = template.Library()

WIDTH = 72
# Lines up to this long are left alone (RFC 5322 asks for 78 at most).
LONGEST = 78


@register.filter
def wrap(value, prefix=""):
    """Wrap text at 72 columns; `prefix` starts the first line, and later
    lines are indented to line up under the text (for bullets)."""
    text = " ".join(str(value or "").split())
    if not text:
        return prefix.rstrip()
    return "\n".join(
        textwrap.wrap(
            text,
            width=WIDTH,
            initial_indent=prefix,
            subsequent_indent=" " * len(prefix),
            break_long_words=False,
            break_on_hyphens=False,
        )
    )


def wrap_lines(text: str) -> str:
    """Wrap every line longer than 78 characters at 72, keeping its indent.

    Words are never split, so a long URL stays whole on a line of its own.
    """
    lines = []
    for line in text.split("\n"):
        if len(line) <= LONGEST:
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        lines.extend(
            textwrap.wrap(
                line.strip(),
                width=WIDTH,
                initial_indent=indent,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(lines)


@register.filter
def list_marker(numbered, number):
    """What starts a bullet in plain text: "  1. " in a numbered list, else "  - "."""
    return f"  {number}. " if numbered else "  - "


@register.filter
def thousands(value):
    """1234 → “1,234”."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return value
