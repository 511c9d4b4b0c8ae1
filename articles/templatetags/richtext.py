from django import template

from newsroom import richtext

register = template.Library()


@register.filter
def rich(value):
    """Block rich text (paragraphs, lists), cleaned to the allowlist."""
    return richtext.render(value, "block")


@register.filter
def rich_inline(value):
    """Inline rich text (marks and links only), cleaned to the allowlist."""
    return richtext.render(value, "inline")
