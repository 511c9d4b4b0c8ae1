"""Compressed copies of public pages, made once and chosen per request.

The page cache keeps each page as it is and compressed (Brotli and gzip), so
a hit costs no compression work: it picks the copy the reader's
Accept-Encoding allows and says `Vary: Accept-Encoding`, so a shared cache
keeps the copies apart.

Only public pages are compressed (the page cache's own rule for what it may
store). BREACH recovers a secret from the size of compressed responses that
reflect attacker-chosen text next to it; a public page carries no secret (no
CSRF token: its form is checked by Origin, newsroom/csrf.py; no session, no
personal data: the page cache refuses anything setting a cookie). The admin
and other private pages, which carry CSRF tokens, are sent as they are:
they are few and not on the hot path.
"""

from __future__ import annotations

import gzip

try:
    import brotli
except ImportError:  # optional: gzip alone then
    brotli = None

# Smaller bodies gain less than the header costs.
MIN_BYTES = 256
_TYPES = (
    "text/",
    "application/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/json",
    "application/ld+json",
    "application/javascript",
    "image/svg+xml",
)


def compressible(content_type: str, body: bytes) -> bool:
    return len(body) >= MIN_BYTES and content_type.lower().startswith(_TYPES)


def encode(body: bytes) -> dict[str, bytes]:
    """The compressed copies of `body`, smallest first; only those that are smaller."""
    copies = {}
    if brotli is not None:
        # Quality 5: nearly quality 11's size for news HTML, far less CPU; it
        # runs once per page render.
        copies["br"] = brotli.compress(body, quality=5, mode=brotli.MODE_TEXT)
    copies["gzip"] = gzip.compress(body, compresslevel=6, mtime=0)
    # Brotli at this quality is not always smaller (long feeds): the
    # smaller copy is offered first.
    kept = sorted((len(data), name) for name, data in copies.items())
    return {name: copies[name] for size, name in kept if size < len(body)}


def choose(accept_encoding: str, available) -> str | None:
    """The best of `available` the client accepts (q=0 refuses), or None."""
    if not accept_encoding or not available:
        return None
    accepted = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        accepted[name.strip()] = q
    wildcard = accepted.get("*", 0.0)
    for name in available:
        if accepted.get(name, wildcard) > 0:
            return name
    return None


def vary_with_encoding(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` with Accept-Encoding in Vary (added once)."""
    out, seen = [], False
    for name, value in headers:
        if name.lower() == "vary":
            seen = True
            fields = [f.strip().lower() for f in value.split(",")]
            if "accept-encoding" not in fields and "*" not in fields:
                value = f"{value}, Accept-Encoding"
        out.append((name, value))
    if not seen:
        out.append(("Vary", "Accept-Encoding"))
    return out
