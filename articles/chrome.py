"""The page chrome: head links, header, signup form and footer of reader pages.

They depend only on the settings, the URL configuration, the static files
manifest and the categories, yet base.html rendered them on every request
(a tenth of a cold brief page's template work). They are rendered here once
per process (jinja2/includes/chrome.html) and kept while the navigation is
current, exactly as a cached page is: under the stamp of the `nav`
surrogate key and the state's floor (raised when every cache is emptied,
newsroom/pagestate.py), read before the categories are, so a category change committed meanwhile
invalidates `nav` after the read and the next request renders afresh. The
header differs only by which link is the current page (a category's or
search), so each of those few variants is rendered once too.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import engines
from django.urls import get_script_prefix
from markupsafe import Markup

from articles.http import content_version
from articles.models import Category
from newsroom import surrogate

SEARCH_PATH = "/search/"
_PATH_MARKER = "chrome0path0marker"
# Where base.html places the fragments.
BASE_INDENT = "    "


class Chrome:
    """The rendered fragments for one navigation (categories, in order)."""

    def __init__(self, categories: list[tuple[str, str]]):
        self.categories = categories
        self._hrefs = {href for _, href in categories} | {SEARCH_PATH}
        env = engines["jinja2"].env
        macros = env.get_template("includes/chrome.html")
        self._macros = macros.make_module(
            {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
        )
        self.head = _fragment(self._macros.head())
        self.footer = _fragment(self._macros.footer())
        self._headers: dict[str, Markup] = {}
        # The signup form shows the page's path once (where to come back to):
        # rendered around a marker, then the path goes between the halves.
        signup = env.get_template("includes/newsletter_signup.html")
        form = signup.render({"request": SimpleNamespace(path=_PATH_MARKER)})
        self._signup = [Markup(half) for half in form.split(_PATH_MARKER)]
        if len(self._signup) != 2:
            raise ImproperlyConfigured("The signup form must show the path once.")
        # In development (DEBUG) Jinja2 reloads edited templates: so does this.
        self._templates = (macros, signup) if env.auto_reload else ()

    def up_to_date(self) -> bool:
        return all(template.is_up_to_date for template in self._templates)

    def header(self, path: str) -> Markup:
        # Only a path that one of the header's links points to changes it.
        current = path if path in self._hrefs else ""
        try:
            return self._headers[current]
        except KeyError:
            html = _fragment(self._macros.header(self.categories, current))
            self._headers[current] = html
            return html

    def signup(self, path: str) -> Markup:
        """includes/newsletter_signup.html as rendered for `path`."""
        before, after = self._signup
        return before + path + after  # Markup: the path is escaped


def _fragment(html: str) -> Markup:
    # base.html puts each fragment where its lines were, four spaces in, and
    # ends its last line: re-indented so, the page is byte for byte what it
    # was when base.html held them (djhtml indents the macros its own way).
    lines = str(html).strip("\n").rstrip().split("\n")
    margin = min(len(line) - len(line.lstrip(" ")) for line in lines if line.strip())
    text = "\n".join(BASE_INDENT + line[margin:] for line in lines)
    return Markup(text.removeprefix(BASE_INDENT))


# One navigation at a time: (its stamps and script prefix, its chrome).
_current: tuple[tuple, Chrome] | None = None


def current() -> Chrome:
    """The chrome for the navigation readers see now (rendered if it changed)."""
    global _current
    version = content_version()  # before the query: see the module docstring
    key = (
        version.keys.get(surrogate.NAV, 0),
        version.floor,
        get_script_prefix(),
    )
    held = _current
    if held is not None and held[0] == key and held[1].up_to_date():
        return held[1]
    categories = [(c.name, c.get_absolute_url()) for c in Category.objects.all()]
    chrome = Chrome(categories)
    _current = (key, chrome)
    return chrome


@receiver(setting_changed)
def _forget(**kwargs):
    # SITE_NAME, the static files storage or the state's file may differ.
    global _current
    _current = None
