"""Counting limits in Django's cache, shared by every web process.

    from newsroom import ratelimit
    allowed, retry_after = ratelimit.hit(f"signup:ip:{ip}", limit=10, window=3600)
    if not allowed:
        ...  # answer 429 with a Retry-After: retry_after header

`hit` counts one event under `key` and says whether it is within `limit`
events per `window` seconds; when it is not, `retry_after` is the whole
number of seconds after which the same event would be allowed again (0 when
allowed). Every call counts, refused ones included, so hammering a limit does
not earn extra attempts.

Two ways to count:

- fixed (the default): calendar windows of `window` seconds. Cheap and easy
  to explain ("5 per quarter hour"), but a client can spend a full allowance
  at the end of one window and another at the start of the next.
- sliding (``sliding=True``): the previous window's count weighted by how
  much of it still overlaps the last `window` seconds, plus the current
  count — the estimate Cloudflare and others use. No burst at the edge.

Increments use `cache.add` then `cache.incr`, which are atomic on the Redis
and local-memory backends (the database backend's incr is not atomic, and
the local-memory backend is per process: use Redis with several processes;
`manage.py check --deploy` warns about it). Keys are hashed, so any text
(an email address, a username) can be part of one.
"""

import hashlib
import math
import time

from django.core.cache import cache

PREFIX = "rl"


def hit(
    key: str, limit: int, window: int, *, sliding: bool = False
) -> tuple[bool, int]:
    """Count one event for `key`; return (allowed, retry_after_seconds)."""
    if limit < 1 or window < 1:
        raise ValueError("limit and window must be at least 1.")
    now = time.time()
    index, elapsed = divmod(now, window)
    count = _increment(_bucket(key, window, int(index)), window)
    if not sliding:
        if count <= limit:
            return True, 0
        return False, max(1, math.ceil(window - elapsed))
    previous = cache.get(_bucket(key, window, int(index) - 1), 0)
    weight = (window - elapsed) / window
    if previous * weight + count <= limit:
        return True, 0
    return False, _sliding_retry_after(previous, count, limit, window, elapsed)


def undo(key: str, window: int) -> None:
    """Take back one event counted in the current window (e.g. a login that
    turned out to be legitimate). Never goes below zero."""
    bucket = _bucket(key, window, int(time.time() // window))
    try:
        if cache.decr(bucket) < 0:
            cache.set(bucket, 0, timeout=2 * window + 1)
    except ValueError:
        pass


def reset(key: str, window: int) -> None:
    """Forget `key`'s counts (current and previous window)."""
    index = int(time.time() // window)
    cache.delete_many([_bucket(key, window, index), _bucket(key, window, index - 1)])


def _bucket(key: str, window: int, index: int) -> str:
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"{PREFIX}:{digest}:{window}:{index}"


def _increment(bucket: str, window: int) -> int:
    # Kept for two windows so a sliding limit can still read it as "previous".
    timeout = 2 * window + 1
    for _ in range(3):
        cache.add(bucket, 0, timeout=timeout)
        try:
            return cache.incr(bucket)
        except ValueError:
            # Expired between add and incr: add it again.
            continue
    # The cache refuses to keep the key (e.g. the dummy backend): nothing can
    # be counted, so nothing is limited.
    return 0


def _sliding_retry_after(previous, count, limit, window, elapsed) -> int:
    """Seconds until one more event fits under the sliding estimate."""
    remaining = window - elapsed  # of the current window
    if count + 1 <= limit and previous > 0:
        # The current window alone has room: wait for enough of the previous
        # window to slide out of view.
        #   previous * (remaining - t) / window + count + 1 <= limit
        t = remaining - window * (limit - count - 1) / previous
    else:
        # Wait into the next window, where this window's count is "previous":
        #   count * (window - s) / window + 1 <= limit
        s = window * (count - limit + 1) / count
        t = remaining + s
    return max(1, math.ceil(t))
