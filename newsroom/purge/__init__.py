"""Purging the cache in front (a CDN, Varnish) when public content changes.

FRONTEND_CACHE_URL picks the adapter:

- `varnish://HOST:PORT` (several: comma-separated): a `PURGE` request with
  the keys in an `xkey-purge` header, for the VCL in deploy/varnish/ (the
  xkey vmod of varnish-modules);
- `fastly://SERVICE_ID` with FASTLY_API_TOKEN: purge by surrogate key;
- `cloudflare://ZONE_ID` with CLOUDFLARE_API_TOKEN: purge by Cache-Tag, or
  by URL with CLOUDFLARE_PURGE_BY=urls (plans without tag purge).

Purges run as tasks (newsroom/purge/tasks.py) queued after the commit, so a
save never waits for a CDN; a failed purge is retried with growing delays.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from newsroom.purge.backends import SCHEMES, backend
from newsroom.purge.http import PurgeError
from newsroom.purge.tasks import check_schedule, purge_keys

__all__ = [
    "SCHEMES",
    "PurgeError",
    "backend",
    "check_schedule_at",
    "purge_soon",
]

logger = logging.getLogger(__name__)


def purge_soon(keys: Iterable[str]) -> None:
    """Queue a purge of `keys` (call after the commit)."""
    if not settings.FRONTEND_CACHE_URL:
        return
    keys = sorted(set(keys))
    try:
        purge_keys.enqueue(keys)
    # The task backend may be the database that just dropped; pages in
    # front then refresh by their s-maxage. Logged, never raised into a save.
    except Exception:
        logger.exception("Could not queue the purge of %d keys", len(keys))


def check_schedule_at(when: float) -> None:
    """Look for briefs going live at `when`, so a CDN is purged on time even
    if no request reaches Django then."""
    if not settings.FRONTEND_CACHE_URL or when == float("inf"):
        return
    if not check_schedule.get_backend().supports_defer:
        return
    run_after = max(datetime.fromtimestamp(when, tz=UTC), timezone.now())
    try:
        check_schedule.using(run_after=run_after).enqueue()
    except Exception:
        logger.exception("Could not queue the check of scheduled briefs")
