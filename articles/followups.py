"""Work that follows a commit: the briefs' rendered bodies, the search index,
then the page caches.

Both wait until the transaction has committed (until then other requests
cannot see the rows), and run in that order: a search page rendered between
them would otherwise be stored under the new content version with the old
index, and kept until the next change. Saves register them from their
signals; many saves in one transaction share one run (the first callback does
the work, the others find nothing left).

Each follow-up runs on its own, from an `on_commit(robust=True)` callback, so
one failing skips neither the other nor anyone else's callbacks. One that
fails (say the database dropped just after the commit) is retried:

- by the task `retry_follow_up` (below), later and again with
  growing delays, when the task backend can hold a task for later;
- otherwise, or when the backend cannot take it either (the database backend
  is the database that dropped), by this process after the next requests
  Django answers, until it succeeds. That is logged as an error, naming
  `manage.py rebuild_search_index` in case the process stops first.

The page caches are told which surrogate keys changed (articles/
invalidation.py reads the touched briefs again after the commit); if that
read fails, every page is marked stale, which needs no database (see
pagestate.invalidate), so pages catch up even while the index waits. Any
cache in front (a CDN, Varnish) is purged by a task (newsroom/purge/).

Each follow-up's work is registered by the module that owns it
(articles/rendering.py, articles/search/, articles/invalidation.py): they
call this module from their receivers, so it imports none of them.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.core.signals import request_finished
from django.db import transaction
from django.dispatch import receiver
from django.tasks import task
from django.utils import timezone

from newsroom import surrogate

logger = logging.getLogger(__name__)

# Seconds before each retry by a task; after the last, the task fails.
RETRY_DELAYS = (10, 60, 300, 1800, 3600)

_pending = threading.local()
# Follow-ups no task could take: (name, args), retried after later requests.
_backlog: list[tuple[str, tuple]] = []
_backlog_lock = threading.Lock()
_backlog_next_try = 0.0


# Name → the work, registered by its owner; "page_cache" takes the keys.
FOLLOW_UPS: dict[str, Callable] = {}
# The keys the committed changes invalidate (articles/invalidation.py).
_changed_keys: Callable[[], set[str]] = set


def register(name: str, work: Callable) -> None:
    FOLLOW_UPS[name] = work


def register_changed_keys(collect: Callable[[], set[str]]) -> None:
    global _changed_keys
    _changed_keys = collect


def render_after_commit(article_id: int) -> None:
    """Render a brief's body once the transaction commits (articles/rendering.py).

    Whether cached pages go stale is for the change's own signal to decide.
    """
    if not hasattr(_pending, "render"):
        _pending.render = set()
    _pending.render.add(article_id)
    transaction.on_commit(_run, robust=True)


def index_after_commit(article_id: int) -> None:
    """Rebuild a brief's search document once the transaction commits."""
    if not hasattr(_pending, "ids"):
        _pending.ids = set()
    _pending.ids.add(article_id)
    invalidate_after_commit()


def invalidate_after_commit() -> None:
    """Tell the page caches what changed once the transaction commits."""
    _pending.pages = True
    transaction.on_commit(_run, robust=True)


def _run() -> None:
    rendered = getattr(_pending, "render", set())
    ids = getattr(_pending, "ids", set())
    pages = getattr(_pending, "pages", False)
    _pending.render, _pending.ids, _pending.pages = set(), set(), False
    # Rendered first: pages made after they are invalidated must show the
    # new body.
    if rendered:
        _attempt("render", (sorted(rendered),))
    if ids:
        _attempt("search_index", (sorted(ids),))
    if pages:
        try:
            keys = _changed_keys()
        # The database may have dropped right after the commit: then every
        # page is stale, which needs no database to say.
        except Exception:
            logger.exception("Changed pages not read after a commit; all are stale")
            keys = {surrogate.SITE}
        if keys:
            _attempt("page_cache", (sorted(keys),))


def _attempt(name: str, args: tuple) -> None:
    try:
        FOLLOW_UPS[name](*args)
    # Whatever went wrong (database, file, cache server), the follow-up must
    # still happen: it is logged with its traceback and retried.
    except Exception:
        logger.exception("Follow-up %s%r failed after a commit; retrying", name, args)
        retry_later(name, args)


def retry_once(name: str, args: tuple) -> None:
    """Run a follow-up again; after the index, pages are told too."""
    FOLLOW_UPS[name](*args)
    if name != "page_cache":
        # Search pages rendered meanwhile were made with the old index.
        FOLLOW_UPS["page_cache"]()


def retry(name: str, args, attempt: int) -> str:
    """The retry task's body: run again, or queue the next attempt."""
    try:
        retry_once(name, tuple(args))
    except Exception:
        if attempt >= len(RETRY_DELAYS):
            logger.error(
                "Follow-up %s%r failed %d times; giving up. Run "
                "`manage.py rebuild_search_index` once the cause is fixed.",
                name,
                tuple(args),
                attempt,
            )
            raise
        logger.warning("Follow-up %s%r failed again", name, tuple(args), exc_info=True)
        retry_later(name, tuple(args), attempt + 1)
        return "retry scheduled"
    return "done"


@task()
def retry_follow_up(name: str, args: list, attempt: int = 1) -> str:
    """Run again a post-commit follow-up that failed."""
    return retry(name, args, attempt)


def retry_later(name: str, args: tuple, attempt: int = 1) -> None:
    if retry_follow_up.get_backend().supports_defer:
        run_after = timezone.now() + timedelta(seconds=RETRY_DELAYS[attempt - 1])
        try:
            retry_follow_up.using(run_after=run_after).enqueue(
                name, list(args), attempt
            )
            return
        # The task backend may be the very database that failed.
        except Exception:
            logger.warning("Could not queue a retry of %s", name, exc_info=True)
    with _backlog_lock:
        _backlog.append((name, tuple(args)))
    logger.error(
        "Follow-up %s%r kept in this process, to retry after the next requests; "
        "if the process stops first, run `manage.py rebuild_search_index`.",
        name,
        tuple(args),
    )


@receiver(request_finished)
def _retry_backlog(**kwargs) -> None:
    """Retry what no task could take, after a response (so no reader waits).

    Django has closed a broken connection by now (its own receiver runs
    first), so this one starts afresh. At most once every RETRY_DELAYS[0]
    seconds while it keeps failing.
    """
    global _backlog_next_try
    if not _backlog or time.monotonic() < _backlog_next_try:
        return
    with _backlog_lock:
        items, _backlog[:] = list(_backlog), []
    for position, (name, args) in enumerate(items):
        try:
            retry_once(name, args)
        except Exception:
            logger.warning("Follow-up %s%r failed again", name, args, exc_info=True)
            with _backlog_lock:
                _backlog.extend(items[position:])
            _backlog_next_try = time.monotonic() + RETRY_DELAYS[0]
            return
        logger.info("Follow-up %s%r done on retry", name, args)
