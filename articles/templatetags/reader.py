"""Helpers for reader templates: JSON-LD, responsive pictures, page links, dates.

The reader pages are Jinja2 (newsroom/jinja2.py calls these functions); the
filters and tags stay registered for the Django templates of sitemaps and
the 500 page.
"""

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.timezone import localtime

from articles import seo
from articles.images import current_renditions

register = template.Library()


@register.filter
def json_ld(data):
    return seo.json_ld_script(data)


def _srcset(items) -> str:
    return ", ".join(
        f"{default_storage.url(item['name'])} {item['width']}w" for item in items
    )


def picture(
    fieldfile,
    renditions,
    width,
    height,
    alt="",
    sizes="100vw",
    priority="lazy",
    css_class="",
):
    """A <picture>: WebP and original-format srcsets once renditions exist.

    Until then (or for animations) the original, always with its width and
    height so the page does not jump as it loads. `priority` is "lazy" for
    images below the fold, "eager" for others on the first screen, and "high"
    for the page's largest image (the hero, a list's first card): lazy-loading
    that one would delay the page's largest paint.
    """
    if not fieldfile:
        return {"src": None}
    items = current_renditions(fieldfile, renditions)
    webp = [i for i in items if i["type"] == "image/webp"]
    fallback = [i for i in items if i["type"] != "image/webp"]
    src = fieldfile.url
    original = {"name": fieldfile.name, "width": width} if width else None
    fallback_srcset = ""
    if fallback:
        fallback_srcset = _srcset(fallback)
        if original:
            fallback_srcset += f", {src} {width}w"
    return {
        "src": src,
        "width": width,
        "height": height,
        "alt": alt,
        "sizes": sizes,
        "priority": priority,
        "css_class": css_class,
        "webp_srcset": _srcset(webp) if webp else "",
        "srcset": fallback_srcset,
        "type": (renditions or {}).get("type", ""),
    }


def page_href(context, number):
    """A link to page `number` of this list; page 1 is the bare path (canonical)."""
    params = dict(context.get("page_params") or {})
    if number and int(number) > 1:
        params["page"] = number
    query = urlencode(params)
    return f"{context['request'].path}?{query}" if query else context["request"].path


@register.filter
def w3c_datetime(value):
    """2026-11-24T09:30:00+00:00: what sitemaps expect, without microseconds."""
    if not value:
        return ""
    if hasattr(value, "hour"):
        return localtime(value).replace(microsecond=0).isoformat()
    return value.isoformat()


@register.simple_tag
def site_name():
    """The publication's name where no context processor ran (the 500 page)."""
    return settings.SITE_NAME
