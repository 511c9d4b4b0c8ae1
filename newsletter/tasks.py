"""Background work, through Django's tasks framework (db or RQ backend).

Transactional mail goes through the "default" mailer; editions through the
"bulk" one (see sending.py). Every task takes ids, not objects, and re-reads
its rows: by the time it runs the world may have moved on.
"""

import functools
import logging
import smtplib
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from newsletter import emails, mime, sending
from newsletter.models import Newsletter, Subscriber, Subscription
from newsletter.transport import BOUNCE, PERMANENT, classify
from newsroom.db import CONNECTION_ERRORS, describe, retry_on_connection_loss

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


@task(queue_name="email")
@_queued_again_if_cut_off
def send_confirmation(subscriber_id: int, attempt: int = 0) -> str:
    from newsletter import tokens

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return "subscriber deleted"
    newsletters = list(
        Newsletter.objects.filter(
            subscriptions__subscriber=subscriber,
            subscriptions__status=Subscription.Status.PENDING,
        )
    )
    if not newsletters:
        return "nothing to confirm"
    path = emails.absolute(
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


@task(queue_name="email")
@_queued_again_if_cut_off
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


@task(queue_name="email")
@_queued_again_if_cut_off
def send_welcome(subscriber_id: int, newsletter_ids: list, attempt: int = 0) -> str:
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return "subscriber deleted"
    newsletters = list(
        Newsletter.objects.filter(
            pk__in=newsletter_ids,
            subscriptions__subscriber=subscriber,
            subscriptions__status=Subscription.Status.CONFIRMED,
        )
    )
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


@task(queue_name="email")
@_queued_again_if_cut_off
def start_edition(edition_id: int, scheduled_for: str = "") -> str:
    """Start sending; for a scheduled edition only if its time was not changed."""
    return _start_edition(edition_id, scheduled_for)


def _start_edition(edition_id: int, scheduled_for: str) -> str:
    from newsletter.models import Edition

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
    sending.start(edition_id)
    return "started"


@task(queue_name="email")
@_queued_again_if_cut_off
def send_edition_batch(edition_id: int) -> dict:
    """One bounded batch of an edition; the chain re-queues itself (sending.py)."""
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

    return sending.send_batch(edition_id, enqueue=enqueue).as_dict()


@task(queue_name="default")
def import_subscribers(import_id: int) -> dict:
    from newsletter import imports

    return imports.run(import_id)
