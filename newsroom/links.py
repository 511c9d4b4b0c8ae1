"""Absolute addresses on SITE_URL, for what leaves the site: e-mails, feeds,
sitemaps, meta tags, CDN purges.

Always made from settings.SITE_URL, never from a request's Host header,
which a client controls (and e-mails are built in tasks, with no request).
"""

from urllib.parse import urlsplit

from django.conf import settings


def site_origin() -> str:
    """SITE_URL's scheme and host, without any path."""
    parts = urlsplit(settings.SITE_URL)
    return f"{parts.scheme}://{parts.netloc}"


def absolute_url(path: str) -> str:
    """`path` (from reverse(), storage or static files) made absolute on SITE_URL.

    A URL that already names its host (files on a CDN) is kept, and a
    scheme-relative one (`//cdn…`) takes SITE_URL's scheme. A path is put
    after SITE_URL, whose own path (a site served under `/news`) it gets
    unless it already starts with it: reverse() inside a request served
    there includes it, reverse() in a task does not.
    """
    if path.startswith(("http://", "https://")):
        return path
    parts = urlsplit(settings.SITE_URL)
    if path.startswith("//"):
        return f"{parts.scheme}:{path}"
    prefix = parts.path.rstrip("/")
    if prefix and path != prefix and not path.startswith(prefix + "/"):
        path = prefix + path
    return f"{parts.scheme}://{parts.netloc}{path}"
