"""Sending an edition's batches: claim due rows, send each, record what happened.

Speed. The edition is built once (mime.py); each reader costs a token swap
in pre-encoded bytes, two SQL statements and one `sendmail` over a
connection shared by the whole batch (transport.py).

Exactly once. The Delivery ledger holds one row per edition and subscriber
(unique). A batch claims due rows (pending → sending, with a lease and its
worker id; SKIP LOCKED on PostgreSQL, serialised transactions on SQLite),
and marks each row sent right after the server accepted it. A worker killed
mid-batch leaves its claimed rows "sending"; when the lease runs out another
batch takes them over. Only the message in flight at the kill can go out
twice, and it carries the same Message-ID both times.

Around this module: starting.py freezes an edition and snapshots its
audience; tasks.py runs the batches and keeps their chain going; pausing.py
stops a send whose failures are ours and lets a person resume it.

Failures. Each is put down to the reader or to us (transport.classify, by
its RFC 3463 enhanced code). Only a mailbox that is gone unsubscribes the
reader. Failures that are ours are retried like temporary ones, and counted
by the breaker (breaker.py): when a run of them share one reason, the send
pauses, every undelivered row stays due with its spent attempt given back,
and it waits for a person to resume it.
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

from newsletter import suppression
from newsletter.breaker import Breaker
from newsletter.mime import PreparedEdition
from newsletter.models import Delivery, Edition, Subscriber, Subscription, Suppression
from newsletter.pausing import is_paused, pause
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


def claimable(edition_id: int, now):
    return Delivery.objects.filter(edition_id=edition_id).filter(
        Q(status=D.PENDING, next_attempt_at__lte=now)
        | Q(status=D.SENDING, lease_until__lt=now)
    )


def claim(edition_id: int, worker: str, limit: int) -> list[int]:
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            claimable(edition_id, now)
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


def next_wakeup(edition_id: int):
    """When the soonest retry or lease of the edition falls due, if any."""
    agg = Delivery.objects.filter(edition_id=edition_id).aggregate(
        retry=Min("next_attempt_at", filter=Q(status=D.PENDING)),
        lease=Min("lease_until", filter=Q(status=D.SENDING)),
    )
    times = [t for t in (agg["retry"], agg["lease"]) if t is not None]
    return min(times) if times else None


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
    blocked: bool = False  # the send is paused (pausing.py)
    finished: bool = False  # no row left to send or to wait for
    errors: list = field(default_factory=list)

    def as_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "errors"}


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=config("RETRY_BASE_SECONDS") * 2 ** max(attempts - 1, 0))


def send_batch(edition_id: int, *, worker: str | None = None, limit=None):
    """Claim and send one batch. Queueing what comes next is the caller's:
    the task chain (tasks.py) or a loop in this process (send_all)."""
    worker = worker or worker_id()
    limit = limit or config("BATCH_SIZE")
    result = BatchResult()
    edition = Edition.objects.select_related("newsletter").filter(pk=edition_id).first()
    if edition is None or edition.status != Edition.Status.SENDING:
        return result
    if edition.blocked_at is not None:
        result.blocked = True  # paused until someone resumes it
        return result
    ids = claim(edition_id, worker, limit)
    result.claimed = len(ids)
    if ids:
        _send_claimed(edition, ids, worker, result)
    result.finished = finish_if_done(edition_id)
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
        f"UPDATE {delivery} SET status = %s, sent_at = %s, smtp_code = %s, "
        "message_id = %s, claimed_by = '', lease_until = NULL, last_error = '' "
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
        result.released = _hand_back(ids, worker)
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
                    if is_paused(edition.pk):  # by another worker, or a person
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
                    provider_id = transport.send(prepared.envelope_from, to_addr, raw)
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
                    if is_paused(edition.pk):
                        result.blocked = True
                        break
                    continue
                unmarked = pk
                params = [
                    D.SENT,
                    connection.ops.adapt_datetimefield_value(timezone.now()),
                    None if transport.is_provider else 250,
                    # The provider's id for it, or our own Message-ID: either
                    # is how a bounce or complaint report finds this row.
                    provider_id or prepared.message_id(pk, subscriber_id),
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
                lambda: _hand_back(left, worker, delay),
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


def _hand_back(ids: list[int], worker: str, delay=timedelta(0)) -> int:
    """Rows this worker claimed but never tried go back to the queue with
    their attempt returned, due after `delay`; how many went back."""
    return Delivery.objects.filter(
        pk__in=ids, claimed_by=worker, status=D.SENDING
    ).update(
        status=D.PENDING,
        claimed_by="",
        lease_until=None,
        attempts=F("attempts") - 1,
        next_attempt_at=timezone.now() + delay,
    )


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
    kind, code, text = failure.kind, failure.code, failure.text[:1000]
    retry = kind in (TEMPORARY, *OURS)
    released = {"claimed_by": "", "lease_until": None, "smtp_code": code}
    if retry and attempts < config("MAX_ATTEMPTS"):
        result.retry += 1
        Delivery.objects.filter(pk=pk).update(
            status=D.PENDING,
            last_error=text,
            next_attempt_at=timezone.now() + _backoff(attempts),
            **released,
        )
        return
    result.failed += 1
    if retry:
        text = f"Gave up after {attempts} attempts: {text}"
    Delivery.objects.filter(pk=pk).update(status=D.FAILED, last_error=text, **released)
    result.errors.append((pk, code, text))
    if kind == BOUNCE:
        # The server said this mailbox is gone (RFC 3463 X.1.1 and the like):
        # a hard bounce. The address goes on the suppression list and every
        # list of this reader is marked bounced (newsletter/suppression.py).
        address = (
            Subscriber.objects.filter(pk=subscriber_id)
            .values_list("email", flat=True)
            .first()
        )
        if address:
            suppression.suppress(
                address,
                Suppression.Reason.HARD_BOUNCE,
                detail=failure.reply,
                source=f"SMTP {code} {failure.status}".strip(),
                edition=edition,
            )


def send_all(edition_id: int, *, worker: str | None = None) -> dict:
    """Send every row in this process, waiting out back-offs (immediate backend,
    `send_edition --wait`). Safe next to workers: rows are claimed the same way."""
    worker = worker or worker_id()
    total = BatchResult()
    while True:
        result = send_batch(edition_id, worker=worker)
        for key in ("claimed", "sent", "failed", "retry", "skipped", "released"):
            setattr(total, key, getattr(total, key) + getattr(result, key))
        if result.stopped or result.blocked or result.finished:
            break
        edition = (
            Edition.objects.filter(pk=edition_id)
            .values_list("status", flat=True)
            .first()
        )
        if edition != Edition.Status.SENDING:
            break
        if not result.claimed:
            when = next_wakeup(edition_id)
            if when is None:
                break
            time.sleep(min(max((when - timezone.now()).total_seconds(), 0.05), 60))
    return total.as_dict()
