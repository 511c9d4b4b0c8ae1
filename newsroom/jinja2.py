"""The Jinja2 environment for reader pages.

Reader pages (everything under jinja2/) render with Jinja2 because the article
page's full render is on the hot path when the page cache is cold: Jinja2
compiles a template to Python once, where Django's template language walks a
node tree and resolves every variable through its lookup rules on each
request (README, Decisions, has the comparison). The admin, e-mails, feeds and sitemaps stay on Django templates.

The helpers mirror the Django tags and filters those pages used, built on
the same Python functions so both engines print the same thing. Each app
registers its own (`register`, from its AppConfig.ready): this module is
below the apps and imports none of them.
"""

import datetime
import functools

from django.template import defaultfilters
from django.utils import timezone, translation
from jinja2 import ChainableUndefined, Environment


def date(value, fmt=None):
    """Django's `date` filter, given local time as Django's engine gives it."""
    if not isinstance(value, datetime.date):
        return defaultfilters.date(value, fmt)
    # A page prints a handful of dates, mostly the same ones on every request,
    # and Django's formatter parses the format each call: remember its
    # answers per time zone and language (month names are translated).
    return _formatted(
        value, fmt, timezone.get_current_timezone(), translation.get_language()
    )


@functools.lru_cache(maxsize=4096)
def _formatted(value, fmt, zone, language):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value, zone)
    return defaultfilters.date(value, fmt)


# What the apps registered: name → function.
_globals: dict = {}
_filters: dict = {"date": date}


def register(*, globals=None, filters=None) -> None:
    """Add an app's helpers to every environment made from now on."""
    _globals.update(globals or {})
    _filters.update(filters or {})


def environment(**options):
    # Missing values print nothing and chain quietly, as in Django templates.
    # Not setdefault: Django's backend has already put its own Undefined
    # (DebugUndefined when DEBUG, which prints "{{ name }}") in `options`.
    options["undefined"] = ChainableUndefined
    env = Environment(**options)
    env.globals.update(_globals)
    env.filters.update(
        {
            "pluralize": defaultfilters.pluralize,
            "truncatewords": defaultfilters.truncatewords,
            **_filters,
        }
    )
    return env
