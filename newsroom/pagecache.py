"""A page cache in front of Django, invalidated exactly when content changes.

Why in front: a hit answered inside Django's request cycle still pays for the
whole middleware stack; answered in this WSGI wrapper it costs about as much
as serving a file (make bench holds it to that).

How it stays correct:
- Every stored page remembers the stamp of the shared state it was rendered
  under (newsroom/pagestate.py) and its surrogate keys, read from the
  response's `Surrogate-Key` header (newsroom/surrogate.py): what it shows.
  A committed public change invalidates its keys (articles/invalidation.py),
  and a page is served while none of its keys was invalidated after it was
  rendered. A page without the header counts as showing everything.
- Draft saves, revisions and preview links change nothing readers see, and
  so no page; a scheduled brief's pages go stale when its time comes, with
  no cron job (the state carries the time of the next publication).
- Only responses a view marked `Cache-Control: public`, without cookies, are
  stored; admin, previews and form results never are.
- Answering before Django must not skip what Django's middleware decides
  before any view: a page is looked up under the scheme and host Django reads
  from the request (its own HttpRequest methods, so proxy headers count the
  same way), a Host Django rejects and a plain-http request it will redirect
  to https are left to Django, and so get its 400 or 301.

Pages are kept with their Brotli and gzip copies (newsroom/compression.py),
so a hit costs no compression work. They are held per process in an LRU
bounded by bytes (PAGE_CACHE_MAX_BYTES), so memory stays flat however many
briefs exist, and query strings that only track where a reader came from
(utm_*, fbclid, gclid…) are left out of the key: a shared campaign link is
one page, not thousands evicting the others.

With PAGE_CACHE_SHARED (on when Django's cache is shared, e.g. Redis), a
page one process renders is also put in Django's cache, and another process
that misses looks there before rendering: a page is rendered (and
compressed) once for all gunicorn workers, not once per worker. The shared
copy carries its stamp and keys and is checked exactly like a local one, so
it is never served after an invalidation of what it shows.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.dispatch import receiver

from newsroom import compression, surrogate
from newsroom.pagestate import (  # noqa: F401  (the page cache's public names)
    UNREACHABLE_SECONDS,
    CacheVersionStore,
    FileVersionStore,
    Version,
    bump,
    current_version,
    invalidate,
    next_scheduled_publication,
    version_store,
)

logger = logging.getLogger(__name__)

# Response headers we never replay from the cache.
_SKIP_HEADERS = {"set-cookie", "date", "content-length"}
_HIT = ("X-Page-Cache", "hit")
# Replies an entry remembers (Entry.reply).
_MAX_REPLIES = 16

# Query parameters analytics and ad platforms add to links, besides utm_*:
# no view reads them, so the page is the same without them.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",  # Facebook
        "gclid",  # Google Ads
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "_ga",  # Google Analytics cross-domain
        "_gl",
        "msclkid",  # Microsoft Ads
        "twclid",  # X / Twitter
        "ttclid",  # TikTok
        "li_fat_id",  # LinkedIn
        "igshid",  # Instagram
        "yclid",  # Yandex
        "mc_cid",  # Mailchimp
        "mc_eid",
        "_hsenc",  # HubSpot
        "_hsmi",
        "mkt_tok",  # Marketo
    }
)


@dataclass(slots=True)
class Entry:
    stamp: int  # of the shared state when rendering began
    keys: frozenset[str] | None  # None: the page did not say what it shows
    status: str
    headers: list[tuple[str, str]]
    bodies: dict[str, bytes]  # "identity", and "br"/"gzip" when compressed
    etag: str
    size: int  # bytes held: bodies, headers and key
    # The last state's stamp this page was found current under. Every
    # invalidation makes a new stamp, so while the stamp stays the same the
    # page stays current without checking its keys again.
    verified: int = -1
    # What reply() built, per Accept-Encoding and hit: choosing the copy and
    # building its headers were most of a hit's own work. It lives and dies
    # with the entry (a changed page is a new entry), so it is never stale.
    replies: dict | None = None

    def fresh(self, version: Version) -> bool:
        if self.keys is None or _conf().global_invalidation:
            return self.stamp == version.stamp
        if self.verified == version.stamp:
            return True
        if version.fresh(self.stamp, self.keys):
            self.verified = version.stamp
            return True
        return False

    def reply(self, accept_encoding: str, hit: bool) -> tuple[tuple, bytes]:
        """The headers (a tuple: copy it to hand it out) and body to send."""
        replies = self.replies
        if replies is None:
            replies = self.replies = {}
        try:
            return replies[accept_encoding, hit]
        except KeyError:
            pass
        encoding = compression.choose(
            accept_encoding, [name for name in self.bodies if name != "identity"]
        )
        body = self.bodies[encoding or "identity"]
        headers = [*self.headers]
        if hit:
            headers.append(_HIT)
        if encoding:
            headers.append(("Content-Encoding", encoding))
        headers.append(("Content-Length", str(len(body))))
        found = (tuple(headers), body)
        # Browsers send a handful of distinct values; made-up ones must not
        # grow it without end.
        if len(replies) < _MAX_REPLIES:
            replies[accept_encoding, hit] = found
        return found


class PageCache:
    """WSGI middleware: answer cached GET/HEAD requests before Django runs."""

    def __init__(self, app, *, max_bytes: int | None = None, store=None):
        self.app = app
        self.max_bytes = max_bytes
        self._store = store
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.size = 0  # sum of the entries' sizes
        self.lock = threading.Lock()

    @property
    def store(self):
        return self._store or _conf().store

    def __call__(self, environ, start_response):
        conf = _conf()
        if not conf.enabled or environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if path.startswith(conf.skip_prefixes):
            return self.app(environ, start_response)

        key = page_key(environ)
        if key is None:
            return self.app(environ, start_response)
        version = current_version(self._store or conf.store)
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None and entry.fresh(version):
                self.entries.move_to_end(key)
            else:
                entry = None
        if entry is None and conf.shared:
            entry = _shared_get(key, version)
            if entry is not None:
                self._put(key, entry)
        if entry is not None:
            return self._replay(entry, environ, start_response)
        return self._render_and_store(key, version, environ, start_response)

    def _replay(self, entry: Entry, environ, start_response, hit=True):
        if hit and environ.get("HTTP_IF_NONE_MATCH") == entry.etag:
            start_response("304 Not Modified", [*entry.headers, _HIT])
            return [b""]
        headers, body = entry.reply(environ.get("HTTP_ACCEPT_ENCODING", ""), hit)
        # A list of its own: a server may add to what it is given.
        start_response(entry.status, [*headers])
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _render_and_store(self, key: tuple, version, environ, start_response):
        captured = []

        def capture(status, headers, exc_info=None):
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            captured[:] = [status, headers]
            return lambda data: None  # Django never uses write()

        result = self.app(environ, capture)
        status, headers = captured or ("500 Internal Server Error", [])
        if not status.startswith("200") or not _cacheable(headers):
            start_response(status, headers)
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        kept = [(k, v) for k, v in headers if k.lower() not in _SKIP_HEADERS]
        found = {k.lower(): v for k, v in kept}
        etag = found.get("etag")
        if etag is None:
            # Weak: the compressed copies share it.
            etag = 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
            kept.append(("ETag", etag))
        bodies = {"identity": body}
        if "content-encoding" not in found and compression.compressible(
            found.get("content-type", ""), body
        ):
            bodies = {**compression.encode(body), **bodies}
            kept = compression.vary_with_encoding(kept)
        keys = found.get(surrogate.SURROGATE_KEY_HEADER.lower())
        size = sum(map(len, bodies.values())) + sum(len(k) + len(v) for k, v in kept)
        entry = Entry(
            version.stamp,
            None if keys is None else surrogate.parse(keys),
            status,
            kept,
            bodies,
            etag,
            size + sum(len(part) for part in key),
        )
        if environ["REQUEST_METHOD"] == "GET":
            self._put(key, entry)
            if _conf().shared:
                _shared_set(key, entry)
        return self._replay(entry, environ, start_response, hit=False)

    def _put(self, key: tuple, entry: Entry) -> None:
        limit = self.max_bytes or settings.PAGE_CACHE_MAX_BYTES
        if entry.size > limit:
            return
        with self.lock:
            replaced = self.entries.pop(key, None)
            if replaced is not None:
                self.size -= replaced.size
            self.entries[key] = entry
            self.size += entry.size
            while self.size > limit:
                _, evicted = self.entries.popitem(last=False)
                self.size -= evicted.size


def _shared_name(key: tuple) -> str:
    # Hashed: a path may be long or hold characters memcached refuses.
    digest = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
    return f"newsroom:page:{digest}"


def _shared_get(key: tuple, version: Version) -> Entry | None:
    """The shared copy of the page, if one is stored and still current."""
    from django.core.cache import cache

    try:
        entry = cache.get(_shared_name(key))
    except Exception:  # an unreachable cache must not stop pages: render
        logger.warning("Shared page cache not read", exc_info=True)
        return None
    if isinstance(entry, Entry) and entry.fresh(version):
        return entry
    return None


def _shared_set(key: tuple, entry: Entry) -> None:
    from django.core.cache import cache

    if entry.size > settings.PAGE_CACHE_MAX_BYTES:
        return
    try:
        cache.set(_shared_name(key), entry, settings.PAGE_CACHE_SHARED_SECONDS)
    except Exception:
        logger.warning("Shared page cache not written", exc_info=True)


def page_key(environ) -> tuple[str, str, str, str] | None:
    """(scheme, host, path, query) as Django will read them, or None.

    None leaves the request to Django: a Host it rejects (400), or plain http
    that SECURE_SSL_REDIRECT sends to https (301).
    """
    origin = _origin(environ)
    if origin is None:
        return None
    query = environ.get("QUERY_STRING", "")
    if query:
        query = "&".join(
            pair
            for pair in query.split("&")
            if not _is_tracking(pair.partition("=")[0].lower())
        )
    return (*origin, environ.get("PATH_INFO", ""), query)


def _is_tracking(name: str) -> bool:
    return name.startswith("utm_") or name in TRACKING_PARAMETERS


# _origin() keys its memory by what HttpRequest.get_host() and .scheme read
# from the environ: the host and port headers, the server's name, port and
# scheme, and the proxy's scheme header, whose name is a setting.
_origins: dict[tuple, tuple[str, str] | None] = {}


def _origin(environ) -> tuple[str, str] | None:
    """(scheme, host) by Django's own rules, remembered per distinct input.

    Building a request and checking ALLOWED_HOSTS is a large share of a
    cache hit's work, and the same few hosts come back on every request.
    """
    get = environ.get
    inputs = (
        get("HTTP_HOST"),
        get("HTTP_X_FORWARDED_HOST"),
        get("HTTP_X_FORWARDED_PORT"),
        get("SERVER_NAME"),
        get("SERVER_PORT"),
        get("wsgi.url_scheme"),
        get(_conf().proxy_header),
    )
    try:
        return _origins[inputs]
    except KeyError:
        pass
    # A copy: WSGIRequest normalises PATH_INFO in the dict it is given, and
    # Django must get the environ as the server sent it.
    request = WSGIRequest(dict(environ))
    try:
        origin = (request.scheme, request.get_host())
    except DisallowedHost:
        origin = None
    if origin is not None and settings.SECURE_SSL_REDIRECT and origin[0] != "https":
        origin = None
    if len(_origins) >= 256:  # made-up hosts must not grow it without end
        _origins.clear()
    _origins[inputs] = origin
    return origin


@dataclass(frozen=True, slots=True)
class _Settings:
    enabled: bool
    skip_prefixes: tuple[str, ...]
    shared: bool
    global_invalidation: bool
    proxy_header: str | None  # the environ name of SECURE_PROXY_SSL_HEADER
    store: object  # pagestate.version_store() for these settings


_settings: _Settings | None = None


def _conf() -> _Settings:
    """The settings every request reads, read once: a hit does little else,
    and django.conf.settings' lazy lookups were a good part of it. Read
    again when a setting changes (tests)."""
    global _settings
    if _settings is None:
        proxy = settings.SECURE_PROXY_SSL_HEADER
        _settings = _Settings(
            enabled=settings.PAGE_CACHE_ENABLED,
            skip_prefixes=tuple(settings.PAGE_CACHE_SKIP_PREFIXES),
            shared=settings.PAGE_CACHE_SHARED,
            global_invalidation=settings.PAGE_CACHE_INVALIDATION == "global",
            proxy_header=proxy[0] if proxy else None,
            store=version_store(),
        )
    return _settings


@receiver(setting_changed)
def _forget_origins(**kwargs):
    global _settings
    _origins.clear()
    _settings = None


def _cacheable(headers: list[tuple[str, str]]) -> bool:
    cache_control = ""
    for name, value in headers:
        lower = name.lower()
        if lower == "set-cookie":
            return False
        if lower == "vary" and "cookie" in value.lower():
            return False
        if lower == "cache-control":
            cache_control = value.lower()
    return "public" in cache_control and "no-store" not in cache_control
