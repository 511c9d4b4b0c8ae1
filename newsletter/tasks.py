"""Background work, through Django's tasks framework (db or RQ backend).

Transactional mail goes through the "default" mailer; editions through the
"bulk" one (see sending.py). Every task takes ids, not objects, and re-reads
its rows: by the time it runs the world may have moved on.

An edition's batches form a chain: each task sends one bounded batch
(sending.py) and keeps the chain going. Before claiming, it queues a
successor (at once if more rows are ready, otherwise a watchdog at the
lease's end), so a killed worker's chain resumes when any worker runs again.
Deferred wake-ups are de-duplicated through Edition.wakeup_at. Starting and
resuming a send queue the first links; `manage.py send_edition --resume`
restarts chains too.
"""

import functools
import logging
import smtplib
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from newsletter import emails, mime, pausing, sending, starting, tokens
from newsletter.models import Edition, Newsletter, Subscriber, Subscription
from newsletter.transport import BOUNCE, PERMANENT, classify
from newsroom.db import CONNECTION_ERRORS, describe, retry_on_connection_loss
from newsroom.links import absolute_url

logger = logging.getLogger(__name__)

_TRANSACTIONAL_RETRIES = 3


def _queued_again_if_cut_off(func):
    """For a task that is safe to run again: when the database drops the
    connection under it, queue it again (same arguments) on a new connection
    instead of ending in an error nothing would retry. The worker records a
    failed task and moves on; without this a reader would miss their
    confirmation (and the flood guard would stop them asking again for a
    day), a scheduled edition would never start, and a send would wait for
    its watchdog, or stop for good if this batch was it. The rows of a send
    are safe either way: handed back, or held by their lease until another
    batch takes them over."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CONNECTION_ERRORS as exc:
            task_fn = globals()[func.__name__]  # the Task @task made of `run`
            if not task_fn.get_backend().supports_defer:
                raise  # run inline (immediate backend): the caller sees it
            given = [*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())]
            call = f"{func.__name__}({', '.join(given)})"
            logger.warning("%s cut short (%s); queueing it again.", call, describe(exc))
            retry_on_connection_loss(
                lambda: task_fn.enqueue(*args, **kwargs),
                what=f"Queueing {call} again",
                until=time.monotonic() + 60,
                failed=exc,
            )
            return f"interrupted ({describe(exc)}); queued again"

    return run


def _email_task(func):
    """A task of the "email" queue, queued again if the database cuts it off."""
    return task(queue_name="email")(_queued_again_if_cut_off(func))


def _send_transactional(task_fn, subscriber_id, message, attempt, *args):
    """Send one message; on a temporary failure try again later, a few times."""
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        # Given up at once only when the reader's mailbox refused it; a relay
        # refusing us for a while (transport.classify) is retried.
        permanent = classify(exc).kind in (BOUNCE, PERMANENT)
        backend = task_fn.get_backend()
        if permanent or attempt >= _TRANSACTIONAL_RETRIES or not backend.supports_defer:
            # Let the reader ask again at once instead of waiting out the
            # flood guard for a mail that never left.
            Subscriber.objects.filter(pk=subscriber_id).update(
                last_request_mail_at=None
            )
            raise
        delay = timedelta(seconds=60 * 2**attempt)
        logger.warning(
            "Mail to subscriber %s failed (%s); retrying", subscriber_id, exc
        )
        task_fn.using(run_after=timezone.now() + delay).enqueue(
            subscriber_id, *args, attempt=attempt + 1
        )
        return "retry scheduled"
    return "sent"


def _list_headers(subscriber: Subscriber, newsletters: list[Newsletter]) -> dict:
    # With several lists confirmed at once, one click leaves them all.
    only = newsletters[0] if len(newsletters) == 1 else None
    url = emails.unsubscribe_url(subscriber.pk, only.pk if only else None)
    token = url.rstrip("/").rpartition("/")[2]
    return {
        "List-Unsubscribe": emails.list_unsubscribe_header(url, token),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": mime.list_id(newsletters[0]),
    }


def _subscriber_and_lists(subscriber_id: int, status, **lists) -> tuple:
    """The subscriber (None once deleted) and their lists whose subscription
    is in `status` (narrowed by `lists`, filters on Newsletter)."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return None, []
    newsletters = Newsletter.objects.filter(
        subscriptions__subscriber=subscriber, subscriptions__status=status, **lists
    )
    return subscriber, list(newsletters)


@_email_task
def send_confirmation(subscriber_id: int, attempt: int = 0) -> str:
    subscriber, newsletters = _subscriber_and_lists(
        subscriber_id, Subscription.Status.PENDING
    )
    if subscriber is None:
        return "subscriber deleted"
    if not newsletters:
        return "nothing to confirm"
    path = absolute_url(
        reverse(
            "newsletter:confirm",
            kwargs={"token": tokens.confirmation_token(subscriber.pk)},
        )
    )
    message = emails.make_message(
        "confirm",
        subscriber.email,
        {
            "newsletters": newsletters,
            "confirm_url": path,
            "max_age_days": settings.NEWSLETTER["CONFIRM_MAX_AGE_DAYS"],
        },
        # RFC 3834: an automatic message; vacation responders stay quiet.
        headers={"Auto-Submitted": "auto-generated"},
    )
    return _send_transactional(send_confirmation, subscriber_id, message, attempt)


@_email_task
def send_already_subscribed(subscriber_id: int, attempt: int = 0) -> str:
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return "subscriber deleted"
    message = emails.make_message(
        "already-subscribed",
        subscriber.email,
        {"preferences_url": emails.preferences_url(subscriber.pk)},
        headers={"Auto-Submitted": "auto-generated"},
    )
    return _send_transactional(send_already_subscribed, subscriber_id, message, attempt)


@_email_task
def send_welcome(subscriber_id: int, newsletter_ids: list, attempt: int = 0) -> str:
    subscriber, newsletters = _subscriber_and_lists(
        subscriber_id, Subscription.Status.CONFIRMED, pk__in=newsletter_ids
    )
    if subscriber is None:
        return "subscriber deleted"
    if not newsletters:
        return "no longer subscribed"
    message = emails.make_message(
        "welcome",
        subscriber.email,
        {
            "newsletters": newsletters,
            "preferences_url": emails.preferences_url(subscriber.pk),
            "unsubscribe_url": emails.unsubscribe_url(
                subscriber.pk, newsletters[0].pk if len(newsletters) == 1 else None
            ),
        },
        headers=_list_headers(subscriber, newsletters),
    )
    return _send_transactional(
        send_welcome, subscriber_id, message, attempt, newsletter_ids
    )


@_email_task
def start_edition(edition_id: int, scheduled_for: str = "") -> str:
    """Start sending; for a scheduled edition only if its time was not changed."""
    return _start_edition(edition_id, scheduled_for)


def _start_edition(edition_id: int, scheduled_for: str) -> str:
    edition = Edition.objects.filter(pk=edition_id).first()
    if edition is None:
        return "edition deleted"
    if scheduled_for:
        # Compared as instants: the editor may have moved or cancelled it.
        if (
            edition.status != Edition.Status.SCHEDULED
            or edition.scheduled_at is None
            or edition.scheduled_at != datetime.fromisoformat(scheduled_for)
        ):
            return "rescheduled or cancelled"
    start(edition_id)
    return "started"


def _queue_batches(edition_id: int) -> None:
    """The first links of the chain, once the transaction that made the
    edition sendable commits (a worker must find its rows)."""
    parallel = max(1, sending.config("PARALLEL_BATCHES"))
    transaction.on_commit(
        lambda: [send_edition_batch.enqueue(edition_id) for _ in range(parallel)]
    )


def start(edition_id: int) -> Edition:
    """Freeze the edition, snapshot its audience, queue the first batches. Idempotent."""
    with transaction.atomic():
        edition, began = starting.begin(edition_id)
        if began:
            _queue_batches(edition_id)
    return edition


def resume(edition_id: int, *, by: str = "") -> bool:
    """Resume a paused send: its rows are due at once and its tasks start again.

    False if the edition is not paused. If the cause is still there, the
    breaker pauses it again after another run; nothing is lost either way."""
    with transaction.atomic():
        if not pausing.lift(edition_id, by=by):
            return False
        _queue_batches(edition_id)
    return True


def wake_at(edition_id: int, when, enqueue) -> bool:
    """Queue one deferred look at the edition for `when`, unless one is due sooner."""
    now = timezone.now()
    updated = (
        Edition.objects.filter(pk=edition_id)
        .filter(
            Q(wakeup_at__isnull=True) | Q(wakeup_at__gt=when) | Q(wakeup_at__lte=now)
        )
        .update(wakeup_at=when)
    )
    if updated:
        enqueue(when)
    return bool(updated)


def chained_batch(edition_id: int, *, enqueue, worker: str | None = None, limit=None):
    """One batch (sending.send_batch) with the chain kept alive around it.

    `enqueue(run_after)` queues a successor task (run_after None = now)."""
    limit = limit or sending.config("BATCH_SIZE")
    edition = Edition.objects.filter(pk=edition_id).first()
    if edition is None or edition.status != Edition.Status.SENDING:
        return sending.BatchResult()
    if edition.blocked_at is not None:
        return sending.BatchResult(blocked=True)  # until someone resumes it
    now = timezone.now()
    # Keep the chain alive before touching any row: if this process dies,
    # the successor is already queued (at once when more rows are ready
    # than this batch takes), and so is a watchdog for when our lease
    # ends: the successor's own worker may die before it queues the next
    # one, and only the watchdog (one per edition at a time) is left.
    ready = len(
        sending.claimable(edition_id, now).values_list("pk", flat=True)[: limit + 1]
    )
    queued_now = ready > limit
    if queued_now:
        enqueue(None)
    if ready:
        wake_at(
            edition_id,
            now + timedelta(seconds=sending.config("LEASE_SECONDS") + 1),
            enqueue,
        )
    result = sending.send_batch(edition_id, worker=worker, limit=limit)
    if result.finished:
        return result
    if result.blocked:
        # Paused: the chain ends here. A person fixes the cause and resumes
        # (the admin's button, `send_edition --resume ID`), which starts it again.
        return result
    if result.stopped or sending.claimable(edition_id, timezone.now()).exists():
        # One immediate successor per task at most, or chains would multiply.
        if not queued_now:
            enqueue(None)
    else:
        when = sending.next_wakeup(edition_id)
        if when is not None:
            wake_at(edition_id, when, enqueue)
    return result


@_email_task
def send_edition_batch(edition_id: int) -> dict:
    """One bounded batch of an edition; the chain re-queues itself (chained_batch)."""
    backend = send_edition_batch.get_backend()
    if not backend.supports_defer:
        # The immediate backend runs tasks inline: loop here rather than
        # recursing through enqueue once per batch.
        return sending.send_all(edition_id)

    def enqueue(run_after):
        if run_after is None:
            send_edition_batch.enqueue(edition_id)
        else:
            send_edition_batch.using(run_after=run_after).enqueue(edition_id)

    return chained_batch(edition_id, enqueue=enqueue).as_dict()


@task(queue_name="default")
def import_subscribers(import_id: int) -> dict:
    # Imported here, not at the top: an import signs people up, and signing
    # up queues their confirmations through this module (imports → services
    # → tasks), so a top-level import would be a cycle.
    from newsletter import imports

    return imports.run(import_id)
