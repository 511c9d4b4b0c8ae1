"""The Jinja2 environment for reader pages.

Reader pages (everything under jinja2/) render with Jinja2 because the article
page's full render is on the hot path when the page cache is cold: Jinja2
compiles a template to Python once, where Django's template language walks a
node tree and resolves every variable through its lookup rules on each
request (about five times the CPU for the same page here; see README,
Decisions). The admin, e-mails, feeds and sitemaps stay on Django templates.

The helpers below mirror the Django tags and filters those pages used, built
on the same Python functions so both engines print the same thing.
"""

import datetime
import functools

from django.template import defaultfilters
from django.utils import timezone, translation
from jinja2 import ChainableUndefined, Environment, pass_context
from markupsafe import Markup

from articles import seo
from articles.links import static_url, url
from articles.templatetags import labels, reader, richtext
from newsletter.templatetags.newsletter_text import thousands


def date(value, fmt=None):
    """Django's `date` filter, given local time as Django's engine gives it."""
    if not isinstance(value, datetime.date):
        return defaultfilters.date(value, fmt)
    # A page prints a handful of dates, mostly the same ones on every request,
    # and Django's formatter costs tens of microseconds per call: remember its
    # answers per time zone and language (month names are translated).
    return _formatted(
        value, fmt, timezone.get_current_timezone(), translation.get_language()
    )


@functools.lru_cache(maxsize=4096)
def _formatted(value, fmt, zone, language):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value, zone)
    return defaultfilters.date(value, fmt)


def picture(fieldfile, renditions, width, height, **options):
    """The responsive <picture> of reader.picture, rendered by its macro file."""
    context = reader.picture(fieldfile, renditions, width, height, **options)
    if not context.get("src"):
        return Markup("")
    # render() gives a plain str: mark it safe, or autoescape prints the tags.
    return Markup(_environment.get_template("includes/picture.html").render(context))


@pass_context
def page_href(context, number):
    """A link to page `number` of this list; page 1 is the bare path."""
    return reader.page_href(context, number)


_environment = None


def environment(**options):
    global _environment
    # Missing values print nothing and chain quietly, as in Django templates.
    # Not setdefault: Django's backend has already put its own Undefined
    # (DebugUndefined when DEBUG, which prints "{{ name }}") in `options`.
    options["undefined"] = ChainableUndefined
    env = Environment(**options)
    env.globals.update(
        url=url,
        static=static_url,
        picture=picture,
        page_href=page_href,
    )
    env.filters.update(
        date=date,
        pluralize=defaultfilters.pluralize,
        truncatewords=defaultfilters.truncatewords,
        thousands=thousands,
        as_label=labels.as_label,
        rich=richtext.rich,
        rich_inline=richtext.rich_inline,
        w3c_datetime=reader.w3c_datetime,
        json_ld=seo.json_ld_script,
    )
    _environment = env
    return env
