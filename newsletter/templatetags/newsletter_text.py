"""Filters for plain-text email parts and edition headers."""

import textwrap

from django import template

register = template.Library()

WIDTH = 72


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


@register.filter
def thousands(value):
    """1234 → “1,234”."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return value
