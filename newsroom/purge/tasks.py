"""The purge tasks: retried with growing delays, never run inside a save."""

import logging
from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from newsroom import pagestate
from newsroom.purge.backends import backend
from newsroom.purge.http import PurgeError

logger = logging.getLogger("newsroom.purge")

# Seconds before each retry; after the last, the task fails (and is logged).
RETRY_DELAYS = (5, 30, 120, 600, 1800)


@task()
def purge_keys(keys: list[str], attempt: int = 1) -> str:
    """Send one purge of `keys` to the cache in front."""
    adapter = backend()
    if adapter is None:
        return "no cache in front"
    try:
        adapter.purge(keys)
    except PurgeError:
        if attempt > len(RETRY_DELAYS) or not purge_keys.get_backend().supports_defer:
            logger.exception("Purge of %d keys failed; giving up", len(keys))
            raise
        logger.warning("Purge of %d keys failed; retrying", len(keys), exc_info=True)
        run_after = timezone.now() + timedelta(seconds=RETRY_DELAYS[attempt - 1])
        purge_keys.using(run_after=run_after).enqueue(keys, attempt + 1)
        return "retry scheduled"
    return f"purged {len(keys)} keys"


@task()
def check_schedule() -> str:
    """Handle briefs whose scheduled time has come (their keys are purged)."""
    pagestate.current_version()
    return "checked"
