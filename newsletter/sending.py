"""Sending an edition: exactly once per subscriber, resumable, fast.

Speed. The edition is built once (mime.py); each reader costs a token swap
in pre-encoded bytes, two SQL statements and one `sendmail` over a
connection shared by the whole batch (transport.py).

Exactly once. The Delivery ledger holds one row per edition and subscriber
(unique). A task claims a batch of due rows (pending → sending, with a lease
and its worker id; SKIP LOCKED on PostgreSQL, serialised transactions on
SQLite), and marks each row sent right after the server accepted it. A worker
killed mid-batch leaves its claimed rows "sending"; when the lease runs out
another task takes them over. Only the message in flight at the kill can go
out twice, and it carries the same Message-ID both times.

Tasks. Each task sends one bounded batch and keeps the chain going: before
claiming it queues a successor (at once if more rows are ready, otherwise a
watchdog at the lease's end), so a killed worker's chain resumes when any
worker runs again. Deferred wake-ups are de-duplicated through
Edition.wakeup_at. `manage.py send_edition --resume` restarts chains too.

Failures. Each is put down to the reader or to us (transport.classify, by
its RFC 3463 enhanced code). Only a mailbox that is gone unsubscribes the
reader. Failures that are ours are retried like temporary ones, and counted
by the breaker (breaker.py): when a run of them share one reason, the send
pauses (`pause`), every undelivered row stays due with its spent attempt
given back, and it waits for a person to `resume` it.
"""

import logging
import os
import re
import signal
import socket
import threading
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from newsletter import compose, tracking
from newsletter.breaker import Breaker
from newsletter.mime import PreparedEdition, placeholder_links
from newsletter.models import Delivery, Edition, Subscription
from newsletter.transport import (
    BOUNCE,
    CONNECTION,
    RELAY,
    TEMPORARY,
    Failure,
    Pacer,
    Transport,
    classify,
)
from newsroom.db import (
    CONNECTION_ERRORS,
    drop_broken_connection,
    retry_on_connection_loss,
)

logger = logging.getLogger(__name__)

D = Delivery.Status
OURS = (RELAY, CONNECTION)  # failures that are not the reader's


def config(key):
    return settings.NEWSLETTER[key]


class _StopSignals:
    """SIGTERM/SIGINT mid-batch: finish the current message, then stop.

    The worker's own handler still runs (`manage.py worker` stops after this task;
    a second signal still forces it out).
    """

    def __init__(self):
        self.stop = False
        self.previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self.previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        self.stop = True
        previous = self.previous.get(signum)
        if callable(previous):
            previous(signum, frame)

    def __exit__(self, *exc):
        for sig, previous in self.previous.items():
            signal.signal(sig, previous)


def worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _claimable(edition_id: int, now):
    return Delivery.objects.filter(edition_id=edition_id).filter(
        Q(status=D.PENDING, next_attempt_at__lte=now)
        | Q(status=D.SENDING, lease_until__lt=now)
    )


def claim(edition_id: int, worker: str, limit: int) -> list[int]:
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            _claimable(edition_id, now)
            .order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                status=D.SENDING,
                claimed_by=worker,
                lease_until=now + timedelta(seconds=config("LEASE_SECONDS")),
                attempts=F("attempts") + 1,
            )
    return ids


def snapshot_audience(edition) -> int:
    """One pending row per confirmed subscriber, in one statement (no rows in Python)."""
    delivery = Delivery._meta.db_table
    subscription = Subscription._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {delivery} "
            "(edition_id, subscriber_id, status, attempts, next_attempt_at, "
            "claimed_by, last_error, message_id, bounce_type) "
            f"SELECT %s, subscriber_id, %s, 0, %s, '', '', '', '' FROM {subscription} "
            "WHERE newsletter_id = %s AND status = %s "
            "ON CONFLICT DO NOTHING",
            [
                edition.pk,
                D.PENDING,
                now,
                edition.newsletter_id,
                Subscription.Status.CONFIRMED,
            ],
        )
    return Delivery.objects.filter(edition=edition).count()


class EditionEmpty(Exception):
    """The edition has no published brief to send."""


def freeze(edition) -> None:
    """Render the edition once and keep the result on the row."""
    snapshot = compose.build_snapshot(edition)
    if not snapshot["items"]:
        raise EditionEmpty("This edition has no published brief in it.")
    subject, text, html = compose.render(snapshot, placeholder_links())
    snapshot["rendered_subject"] = subject
    newsletter = edition.newsletter
    snapshot["tracking"] = {
        "clicks": newsletter.track_clicks,
        "opens": newsletter.track_opens,
    }
    text, html = tracking.rewrite(
        edition,
        snapshot,
        text,
        html,
        clicks=newsletter.track_clicks,
        opens=newsletter.track_opens,
    )
    edition.snapshot = snapshot
    edition.rendered_text = text
    edition.rendered_html = html


def start(edition_id: int) -> Edition:
    """Freeze the edition, snapshot its audience, queue the first batches. Idempotent."""
    from newsletter import tasks

    with transaction.atomic():
        edition = (
            Edition.objects.select_for_update()
            .select_related("newsletter")
            .get(pk=edition_id)
        )
        if edition.status not in (Edition.Status.DRAFT, Edition.Status.SCHEDULED):
            return edition
        freeze(edition)
        edition.status = Edition.Status.SENDING
        edition.started_at = timezone.now()
        edition.save()
        edition.recipients_count = snapshot_audience(edition)
        edition.save(update_fields=["recipients_count"])
        parallel = max(1, config("PARALLEL_BATCHES"))
        transaction.on_commit(
            lambda: [
                tasks.send_edition_batch.enqueue(edition_id) for _ in range(parallel)
            ]
        )
    return edition


def progress(edition_id: int) -> dict:
    counts = dict(
        Delivery.objects.filter(edition_id=edition_id)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    total = sum(counts.values())
    return {
        "total": total,
        "sent": counts.get(D.SENT, 0),
        "failed": counts.get(D.FAILED, 0),
        "skipped": counts.get(D.SKIPPED, 0),
        "remaining": counts.get(D.PENDING, 0) + counts.get(D.SENDING, 0),
    }


def finish_if_done(edition_id: int) -> bool:
    with transaction.atomic():
        if Delivery.objects.filter(
            edition_id=edition_id, status__in=[D.PENDING, D.SENDING]
        ).exists():
            return False
        counts = progress(edition_id)
        # A paused send is finished by the task its resume starts.
        done = Edition.objects.filter(
            pk=edition_id, status=Edition.Status.SENDING, blocked_at=None
        ).update(
            status=Edition.Status.SENT,
            finished_at=timezone.now(),
            sent_count=counts["sent"],
            failed_count=counts["failed"],
            skipped_count=counts["skipped"],
            wakeup_at=None,
            failure_run=0,
            failure_reason="",
        )
    if done:
        logger.info("Edition %s sent: %s", edition_id, counts)
    return True


def _next_wakeup(edition_id: int):
    agg = Delivery.objects.filter(edition_id=edition_id).aggregate(
        retry=Min("next_attempt_at", filter=Q(status=D.PENDING)),
        lease=Min("lease_until", filter=Q(status=D.SENDING)),
    )
    times = [t for t in (agg["retry"], agg["lease"]) if t is not None]
    return min(times) if times else None


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


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retry: int = 0
    skipped: int = 0
    released: int = 0
    refunded: int = 0  # failures given back their attempt when the send paused
    stopped: bool = False
    blocked: bool = False  # the send is paused (see pause)
    errors: list = field(default_factory=list)

    def as_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "errors"}


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=config("RETRY_BASE_SECONDS") * 2 ** max(attempts - 1, 0))


def send_batch(edition_id: int, *, worker: str | None = None, limit=None, enqueue=None):
    """Claim and send one batch. `enqueue(run_after)` queues a successor task
    (run_after None = now); without it the caller loops (see send_all)."""
    worker = worker or worker_id()
    limit = limit or config("BATCH_SIZE")
    result = BatchResult()
    edition = Edition.objects.select_related("newsletter").filter(pk=edition_id).first()
    if edition is None or edition.status != Edition.Status.SENDING:
        return result
    if edition.blocked_at is not None:
        result.blocked = True  # paused until someone resumes it
        return result
    now = timezone.now()
    queued_now = False
    if enqueue is not None:
        # Keep the chain alive before touching any row: if this process dies,
        # the successor is already queued (at once when more rows are ready
        # than this batch takes), and so is a watchdog for when our lease
        # ends: the successor's own worker may die before it queues the next
        # one, and only the watchdog (one per edition at a time) is left.
        ready = len(
            _claimable(edition_id, now).values_list("pk", flat=True)[: limit + 1]
        )
        if ready > limit:
            enqueue(None)
            queued_now = True
        if ready:
            wake_at(
                edition_id,
                now + timedelta(seconds=config("LEASE_SECONDS") + 1),
                enqueue,
            )
    ids = claim(edition_id, worker, limit)
    result.claimed = len(ids)
    if ids:
        _send_claimed(edition, ids, worker, result)
    if finish_if_done(edition_id) or enqueue is None:
        return result
    if result.blocked:
        # Paused: the chain ends here. A person fixes the cause and resumes
        # (the admin's button, `send_edition --resume ID`), which starts it again.
        return result
    if result.stopped or _claimable(edition_id, timezone.now()).exists():
        # One immediate successor per task at most, or chains would multiply.
        if not queued_now:
            enqueue(None)
    else:
        when = _next_wakeup(edition_id)
        if when is not None:
            wake_at(edition_id, when, enqueue)
    return result


CONFIRMED = Subscription.Status.CONFIRMED


def _hot_sql() -> tuple[str, str]:
    """The two statements run per message, as plain SQL: building them with
    the ORM cost more than running them. Each commits on its own (autocommit),
    so a row is marked sent the moment the server took its message."""
    q = connection.ops.quote_name
    delivery = q(Delivery._meta.db_table)
    subscription = q(Subscription._meta.db_table)
    check = (
        f"SELECT 1 FROM {delivery} d INNER JOIN {subscription} s "
        "ON s.subscriber_id = d.subscriber_id "
        "WHERE d.id = %s AND d.claimed_by = %s AND d.status = %s "
        "AND s.newsletter_id = %s AND s.status = %s"
    )
    sent = (
        f"UPDATE {delivery} SET status = %s, sent_at = %s, smtp_code = 250, "
        "claimed_by = '', lease_until = NULL, last_error = '', message_id = %s "
        "WHERE id = %s"
    )
    return check, sent


def _send_claimed(edition, ids, worker, result: BatchResult):
    try:
        prepared = PreparedEdition.for_edition(edition)
    except ValueError as exc:
        # A sender address that cannot be sent from (a settings or admin
        # mistake): hand the rows back and pause, rather than burn every
        # reader's attempts.
        logger.exception("Edition %s cannot be sent from its sender", edition.pk)
        sender = edition.newsletter.from_email or settings.DEFAULT_FROM_EMAIL
        pause(
            edition.pk,
            reason="sender",
            reply=str(exc),
            check=f"The sender address “{sender}” cannot be used.",
        )
        result.blocked = True
        result.released = Delivery.objects.filter(
            pk__in=ids, claimed_by=worker, status=D.SENDING
        ).update(
            status=D.PENDING,
            claimed_by="",
            lease_until=None,
            attempts=F("attempts") - 1,
            next_attempt_at=timezone.now(),
        )
        return
    rows = list(
        Delivery.objects.filter(pk__in=ids, claimed_by=worker, status=D.SENDING)
        .order_by("pk")
        .values_list(
            "pk", "subscriber_id", "subscriber__email", "subscriber__name", "attempts"
        )
    )
    transport = Transport()
    pacer = Pacer(settings.NEWSLETTER_RATE_LIMIT_PER_SECOND)
    breaker = Breaker(
        run=config("BREAKER_RUN"),
        window=config("BREAKER_WINDOW"),
        streak=edition.failure_run,
        reason=edition.failure_reason,
    )
    ours = []  # rows that failed in this loop for a reason not their reader's
    lease = config("LEASE_SECONDS")
    renew_every = max(lease / 4, 1)
    renewed = time.monotonic()
    connection_failures = 0
    done = 0
    unmarked = None  # a row whose message the relay took, not yet marked sent
    check_sql, sent_sql = _hot_sql()
    cursor = None
    try:
        with _StopSignals() as signals:
            cursor = connection.cursor()
            for pk, subscriber_id, address, name, attempts in rows:
                if signals.stop:
                    result.stopped = True
                    break
                if connection_failures >= 2:
                    break
                if time.monotonic() - renewed > renew_every:
                    Delivery.objects.filter(
                        edition_id=edition.pk, claimed_by=worker, status=D.SENDING
                    ).update(lease_until=timezone.now() + timedelta(seconds=lease))
                    renewed = time.monotonic()
                    if _paused(edition.pk):  # by another worker, or a person
                        result.blocked = True
                        break
                # Still ours, and the reader still on the list? An unsubscribe
                # that committed a moment ago stops this message.
                cursor.execute(
                    check_sql,
                    [pk, worker, D.SENDING, edition.newsletter_id, CONFIRMED],
                )
                if cursor.fetchone() is None:
                    result.skipped += Delivery.objects.filter(
                        pk=pk, claimed_by=worker, status=D.SENDING
                    ).update(
                        status=D.SKIPPED,
                        claimed_by="",
                        lease_until=None,
                        last_error="No longer subscribed when its turn came.",
                    )
                    done += 1
                    continue
                pacer.wait()
                to_addr = address
                try:
                    to_addr, raw = prepared.personalise(
                        delivery_id=pk,
                        subscriber_id=subscriber_id,
                        address=address,
                        name=name,
                    )
                    transport.send(prepared.envelope_from, to_addr, raw)
                except Exception as exc:  # every failure is classified and recorded
                    failure = classify(exc)
                    _record_failure(
                        edition, pk, subscriber_id, attempts, failure, result
                    )
                    done += 1
                    if failure.kind == CONNECTION:
                        connection_failures += 1
                        transport.reset()
                    else:
                        connection_failures = 0
                    if failure.kind not in OURS:
                        breaker.readers_failure()
                        continue
                    ours.append(pk)
                    if breaker.failed(failure):
                        # The reply is kept on the edition and logged: without
                        # the address of the reader it happened to be about.
                        reply = failure.reply
                        for said in {address, to_addr}:
                            reply = re.sub(
                                re.escape(said), "(a reader)", reply, flags=re.I
                            )
                        pause(
                            edition.pk,
                            reason=failure.reason,
                            reply=reply,
                            check=breaker.tripped,
                        )
                        result.blocked = True
                        break
                    if _paused(edition.pk):
                        result.blocked = True
                        break
                    continue
                unmarked = pk
                params = [
                    D.SENT,
                    connection.ops.adapt_datetimefield_value(timezone.now()),
                    prepared.message_id(pk, subscriber_id),
                    pk,
                ]
                try:
                    cursor.execute(sent_sql, params)
                except CONNECTION_ERRORS as exc:
                    # The reader has the message: losing this UPDATE would
                    # put the row back in the queue and mail them again. It
                    # is retried on a new connection for as long as our
                    # lease keeps the row from anyone else.
                    cursor = _mark_sent_again(
                        sent_sql, params, exc, until=renewed + lease * 0.75, pk=pk
                    )
                unmarked = None
                breaker.delivered()
                connection_failures = 0
                result.sent += 1
                done += 1
    finally:
        transport.close()
        if cursor is not None:
            with suppress(*CONNECTION_ERRORS):
                cursor.close()
        # After a lost connection, what follows runs on a new one.
        drop_broken_connection()
        # Rows claimed but never attempted go back to the queue untouched;
        # a message the relay took but that could not be marked sent stays
        # "sending" (another worker takes it over when the lease runs out).
        left = [row[0] for row in rows[done:] if row[0] != unmarked]
        if left:
            delay = _backoff(1) if connection_failures >= 2 else timedelta(0)
            result.released = retry_on_connection_loss(
                lambda: Delivery.objects.filter(
                    pk__in=left, claimed_by=worker, status=D.SENDING
                ).update(
                    status=D.PENDING,
                    claimed_by="",
                    lease_until=None,
                    attempts=F("attempts") - 1,
                    next_attempt_at=timezone.now() + delay,
                ),
                what=f"Edition {edition.pk}: handing back {len(left)} unsent rows",
                until=renewed + lease * 0.75,
            )
        if result.blocked:
            _refund(ours, result)
        elif (breaker.streak, breaker.reason) != (
            edition.failure_run,
            edition.failure_reason,
        ):
            Edition.objects.filter(pk=edition.pk).update(
                failure_run=breaker.streak, failure_reason=breaker.reason[:64]
            )


def _mark_sent_again(sql: str, params: list, failed, *, until: float, pk: int):
    """Run the mark-sent UPDATE on a new connection; the cursor it used."""

    def mark():
        cursor = connection.cursor()
        try:
            cursor.execute(sql, params)
        except BaseException:
            with suppress(*CONNECTION_ERRORS):
                cursor.close()
            raise
        return cursor

    return retry_on_connection_loss(
        mark, what=f"Marking delivery {pk} sent", until=until, failed=failed
    )


def _paused(edition_id: int) -> bool:
    return Edition.objects.filter(pk=edition_id, blocked_at__isnull=False).exists()


def _refund(ids: list[int], result: BatchResult) -> None:
    """The send paused: the rows that failed for our reasons get their attempt
    back and are due again, as if never tried. One that had just used its
    last attempt is taken back from "failed" too."""
    if not ids:
        return
    rows = Delivery.objects.filter(
        pk__in=ids, claimed_by="", status__in=[D.PENDING, D.FAILED], attempts__gt=0
    )
    given_up = rows.filter(status=D.FAILED).count()
    result.refunded = rows.update(
        status=D.PENDING, attempts=F("attempts") - 1, next_attempt_at=timezone.now()
    )
    result.failed -= given_up


def _record_failure(edition, pk, subscriber_id, attempts, failure: Failure, result):
    from newsletter import services

    kind, code, text = failure.kind, failure.code, failure.text[:1000]
    retry = kind in (TEMPORARY, *OURS)
    if retry and attempts < config("MAX_ATTEMPTS"):
        result.retry += 1
        Delivery.objects.filter(pk=pk).update(
            status=D.PENDING,
            claimed_by="",
            lease_until=None,
            smtp_code=code,
            last_error=text,
            next_attempt_at=timezone.now() + _backoff(attempts),
        )
        return
    result.failed += 1
    if retry:
        text = f"Gave up after {attempts} attempts: {text}"
    Delivery.objects.filter(pk=pk).update(
        status=D.FAILED,
        claimed_by="",
        lease_until=None,
        smtp_code=code,
        last_error=text,
    )
    result.errors.append((pk, code, text))
    if kind == BOUNCE:
        # The server said this mailbox is gone (RFC 3463 X.1.1 and the like):
        # stop mailing it.
        from newsletter.models import Subscriber

        subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
        if subscriber is not None:
            services.unsubscribe(
                subscriber,
                edition.newsletter,
                source=f"SMTP {code} {failure.status}".strip(),
                status=Subscription.Status.BOUNCED,
            )


def pause(edition_id: int, *, reason: str, reply: str, check: str) -> bool:
    """Stop sending the edition until someone resumes it, and say why.

    Called by the breaker (and for an unusable sender). Every undelivered
    row stays due; the admin shows the reply and what to check."""
    paused = Edition.objects.filter(
        pk=edition_id, status=Edition.Status.SENDING, blocked_at__isnull=True
    ).update(
        blocked_at=timezone.now(),
        blocked_check=check[:300],
        blocked_reason=reason[:64],
        blocked_reply=reply[:2000],
        failure_run=0,
        failure_reason="",
        wakeup_at=None,
    )
    if paused:
        logger.error(
            "Edition %s paused: %s The server replied: %s. Nothing was given up "
            "and nobody was unsubscribed; fix the cause, then resume it from the "
            "admin or with `manage.py send_edition --resume %s`.",
            edition_id,
            check,
            reply,
            edition_id,
        )
    return bool(paused)


def resume(edition_id: int, *, by: str = "") -> bool:
    """Resume a paused send: its rows are due at once and its tasks start again.

    False if the edition is not paused. If the cause is still there, the
    breaker pauses it again after another run; nothing is lost either way."""
    from newsletter import tasks

    now = timezone.now()
    with transaction.atomic():
        edition = (
            Edition.objects.select_for_update()
            .filter(pk=edition_id, status=Edition.Status.SENDING)
            .exclude(blocked_at=None)
            .first()
        )
        if edition is None:
            return False
        Edition.objects.filter(pk=edition_id).update(
            blocked_at=None,
            blocked_check="",
            blocked_reason="",
            blocked_reply="",
            failure_run=0,
            failure_reason="",
            wakeup_at=None,
        )
        Delivery.objects.filter(
            edition_id=edition_id, status=D.PENDING, next_attempt_at__gt=now
        ).update(next_attempt_at=now)
        parallel = max(1, config("PARALLEL_BATCHES"))
        transaction.on_commit(
            lambda: [
                tasks.send_edition_batch.enqueue(edition_id) for _ in range(parallel)
            ]
        )
    logger.warning(
        "Edition %s resumed%s after a pause since %s (%s)",
        edition_id,
        f" by {by}" if by else "",
        edition.blocked_at.isoformat(),
        edition.blocked_reply,
    )
    return True


def send_all(edition_id: int, *, worker: str | None = None) -> dict:
    """Send every row in this process, waiting out back-offs (immediate backend,
    `send_edition --wait`). Safe next to workers: rows are claimed the same way."""
    worker = worker or worker_id()
    total = BatchResult()
    while True:
        result = send_batch(edition_id, worker=worker)
        for key in ("claimed", "sent", "failed", "retry", "skipped", "released"):
            setattr(total, key, getattr(total, key) + getattr(result, key))
        if result.stopped or result.blocked or finish_if_done(edition_id):
            break
        edition = (
            Edition.objects.filter(pk=edition_id)
            .values_list("status", flat=True)
            .first()
        )
        if edition != Edition.Status.SENDING:
            break
        if not result.claimed:
            when = _next_wakeup(edition_id)
            if when is None:
                break
            time.sleep(min(max((when - timezone.now()).total_seconds(), 0.05), 60))
    return total.as_dict()


class ScheduleError(Exception):
    """Why an edition cannot be scheduled or sent now, in words for the editor."""


def send_test(edition, address: str) -> None:
    """One copy to `address`, marked [Test], with its links working if the
    address is a subscriber. Built like the real thing, sent at once."""
    from newsletter.models import Subscriber

    if edition.is_editable:
        snapshot = compose.build_snapshot(edition)
    else:
        snapshot = edition.snapshot
    if not snapshot.get("items"):
        raise EditionEmpty("This edition has no published brief in it yet.")
    subject, text, html = compose.render(snapshot, placeholder_links())
    prepared = PreparedEdition(
        edition, subject=f"[Test] {subject}", text=text, html=html, test=True
    )
    subscriber = Subscriber.objects.filter(email=address.strip().lower()).first()
    to_addr, raw = prepared.personalise(
        delivery_id=0,
        subscriber_id=subscriber.pk if subscriber else 0,
        address=address.strip().lower(),
    )
    transport = Transport()
    try:
        transport.send(prepared.envelope_from, to_addr, raw)
    finally:
        transport.close()


def schedule(edition, when) -> None:
    from newsletter import tasks

    if not edition.is_editable:
        raise ScheduleError(
            f"This edition is {edition.get_status_display().lower()}; it cannot be "
            "scheduled again."
        )
    if when <= timezone.now():
        raise ScheduleError("Choose a time in the future, or use “Send now”.")
    if not tasks.start_edition.get_backend().supports_defer:
        raise ScheduleError(
            "The task backend in use cannot run tasks later (TASKS_BACKEND="
            f"{settings.TASKS_BACKEND}); use the db or rq backend to schedule."
        )
    if not compose.published_items(edition):
        raise EditionEmpty("Add at least one brief before scheduling.")
    with transaction.atomic():
        Edition.objects.filter(pk=edition.pk).update(
            status=Edition.Status.SCHEDULED, scheduled_at=when
        )
        edition.refresh_from_db()
        stamp = edition.scheduled_at.isoformat()
        transaction.on_commit(
            lambda: tasks.start_edition.using(run_after=when).enqueue(edition.pk, stamp)
        )


def unschedule(edition) -> None:
    Edition.objects.filter(pk=edition.pk, status=Edition.Status.SCHEDULED).update(
        status=Edition.Status.DRAFT, scheduled_at=None
    )
    edition.refresh_from_db()
