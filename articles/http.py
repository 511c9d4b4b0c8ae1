"""HTTP caching for reader pages: validators, 304s and Cache-Control.

Every reader page is derived from the published content and the deployed
code, so one cheap validator serves them all: the stamp of the shared state
newsroom/pagestate.py keeps (it grows after any committed public change, and
when a scheduled brief's time comes; drafts leave it alone) plus the release
(a hash of templates, static files and code, or $RELEASE), so a deploy never
answers 304 with HTML made by the old code.

Public pages also say what they show (surrogate keys, newsroom/surrogate.py)
and let shared caches keep them longer than browsers (s-maxage), since
those are purged on every change (newsroom/purge/).

Reading the version is a stat() of a small file (or one cache get), no
query, so a conditional GET is answered before the view touches the database.

Responses are private unless a view opts in with `public_page`: the admin,
previews and the results of forms are never stored by a CDN.
"""

import functools
import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.utils.cache import patch_cache_control
from django.views.decorators.http import condition

from newsroom import pagecache, surrogate

_RELEASE_SUFFIXES = {".html", ".txt", ".xml", ".css", ".js", ".svg", ".py", ".json"}


@functools.cache
def release() -> str:
    """An identifier of the deployed code, computed once per process."""
    if settings.RELEASE:
        return settings.RELEASE
    base = Path(settings.BASE_DIR).resolve()
    roots = [Path(d) for d in settings.STATICFILES_DIRS]
    for engine in settings.TEMPLATES:
        roots.extend(Path(d) for d in engine.get("DIRS", []))
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and ".venv" not in path.parts:
            roots.append(path)
    digest = hashlib.blake2b(digest_size=8)
    for root in sorted({r.resolve() for r in roots}):
        for path in sorted(root.rglob("*")):
            if path.suffix in _RELEASE_SUFFIXES and path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def content_version() -> pagecache.Version:
    """The shared content version; renewed here if a scheduled brief went live."""
    return pagecache.current_version()


def content_etag(request=None, *args, **kwargs) -> str:
    # Weak: a CDN may compress the body, which a strong ETag forbids.
    return f'W/"{content_version().stamp:x}-{release()}"'


def content_last_modified(request=None, *args, **kwargs) -> datetime:
    return datetime.fromtimestamp(content_version().stamp // 1_000_000_000, tz=UTC)


def shared_seconds() -> int:
    """How long a shared cache may keep a page rendered now.

    PAGE_CACHE_SHARED_SECONDS, but never past the next scheduled publication:
    a CDN no purge reaches then (no task worker running) still refreshes.
    """
    until = content_version().valid_until - time.time()
    return int(max(0, min(settings.PAGE_CACHE_SHARED_SECONDS, until)))


def public_page(view):
    """Make a reader view cacheable: ETag, Last-Modified, 304s, public caching.

    Only 200 and 304 answers are public; errors stay private (the default of
    CacheControlMiddleware). A 200 carries the surrogate keys of what it
    shows (newsroom/surrogate.py); a 304 none, so a proxy revalidating its
    copy keeps the keys it has.
    """
    conditional = condition(
        etag_func=content_etag, last_modified_func=content_last_modified
    )(view)

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        token = surrogate.start()
        try:
            response = conditional(request, *args, **kwargs)
        finally:
            keys = surrogate.finish(token)
        if request.method in {"GET", "HEAD"} and response.status_code in {200, 304}:
            patch_cache_control(
                response,
                public=True,
                max_age=settings.PAGE_CACHE_SECONDS,
                s_maxage=shared_seconds(),
            )
            if response.status_code == 200:
                if response.get("Content-Type", "").startswith("text/html"):
                    keys.add(surrogate.NAV)
                surrogate.apply(response, keys)
        return response

    return wrapped


class CacheControlMiddleware:
    """Default every response to `private, no-store` unless a view chose.

    A response that sets a cookie is always private: a shared cache must
    never hand one reader's cookie to another.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.cookies:
            if "Cache-Control" in response:
                del response["Cache-Control"]
            patch_cache_control(response, private=True, no_store=True)
        elif "Cache-Control" not in response:
            patch_cache_control(response, private=True, no_store=True)
        return response
