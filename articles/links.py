"""Reader URLs without a full reverse() or storage lookup each time.

A brief's page links to its category, authors, topics and related briefs,
its stylesheets and the logo: dozens of URLs, and reverse() or the static
files manifest does real work for each. They are fixed per process
(per script prefix for URLs), so each is worked out once: a slug URL is then
the slug put between its pattern's two halves. override_settings (tests)
empties these caches.
"""

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse

_MARKER = "slug0marker0slug"


@functools.cache
def _halves(viewname: str, prefix: str) -> tuple[str, str]:
    head, _, tail = reverse(viewname, kwargs={"slug": _MARKER}).partition(_MARKER)
    return head, tail


def slug_url(viewname: str, slug: str) -> str:
    """reverse(viewname, kwargs={"slug": slug}), for URL patterns of one slug."""
    head, tail = _halves(viewname, get_script_prefix())
    return f"{head}{slug}{tail}"


@functools.lru_cache(maxsize=4096)
def _reverse(prefix: str, name: str, args: tuple, kwargs: tuple) -> str:
    return reverse(name, args=args or None, kwargs=dict(kwargs) or None)


def url(name: str, *args, **kwargs) -> str:
    """reverse(), remembered per process for the same arguments."""
    try:
        return _reverse(get_script_prefix(), name, args, tuple(sorted(kwargs.items())))
    except TypeError:  # an unhashable argument
        return reverse(name, args=args or None, kwargs=kwargs or None)


@functools.lru_cache(maxsize=1024)
def static_url(path: str) -> str:
    """The URL of a static file (hashed name in production), remembered."""
    return static(path)


@receiver(setting_changed)
def _forget(**kwargs):
    _halves.cache_clear()
    _reverse.cache_clear()
    static_url.cache_clear()
