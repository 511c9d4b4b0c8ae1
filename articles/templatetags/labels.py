from django import template

from articles.labels import shown_label

register = template.Library()


@register.filter
def as_label(value):
    """A section label as readers see it: “Why it matters:” (see articles.labels)."""
    return shown_label(value)
