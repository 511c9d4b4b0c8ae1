"""Sending an edition: exactly once per subscriber, resumable, fast.

Speed. Building every message with Python's email package costs about three
times as much as sending it. So an edition is rendered once (HTML with CSS
inlined, and text), the headers are folded once, and each recipient costs a
string substitution of their own tokens, a quoted-printable encode (C code)
and one `sendmail` over a connection shared by the whole batch. The tokens
are substituted *before* encoding, so a soft line break can never split one.

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
"""

import binascii
import email.policy
import email.utils
import logging
import os
import re
import signal
import smtplib
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection, transaction
from django.db.models import Count, F, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import punycode
from django.utils.http import int_to_base36

from newsletter import compose, emails, tokens
from newsletter.models import Delivery, Edition, Subscription

logger = logging.getLogger(__name__)

# Stand-ins for each reader's tokens in the shared rendering: ASCII letters
# only, so neither HTML escaping nor CSS inlining changes them, and exactly
# as long as the longest token they stand for (see _qp_template).
UNSUBSCRIBE_PLACEHOLDER = "NRxUNSUBSCRIBExTOKEN".ljust(tokens.UNSUBSCRIBE_MAX, "x")
PREFERENCES_PLACEHOLDER = "NRxPREFERENCESxTOKEN".ljust(tokens.PREFERENCES_MAX, "x")
_PLACEHOLDERS = re.compile(
    f"({UNSUBSCRIBE_PLACEHOLDER}|{PREFERENCES_PLACEHOLDER})".encode("ascii")
)
_QP_LINE = 76

D = Delivery.Status
_POLICY = email.policy.SMTP


def config(key):
    return settings.NEWSLETTER[key]


def list_id(newsletter) -> str:
    domain = config("LIST_ID_DOMAIN") or urlsplit(settings.SITE_URL).hostname
    name = newsletter.name.replace('"', "").replace("\\", "").strip()
    return f'"{name}" <{newsletter.slug}.{domain or "localhost"}>'


def placeholder_links() -> dict:
    return {
        "unsubscribe": emails.absolute(
            reverse("one_click_unsubscribe", kwargs={"token": UNSUBSCRIBE_PLACEHOLDER})
        ),
        "preferences": emails.absolute(
            reverse("newsletter:preferences", kwargs={"token": PREFERENCES_PLACEHOLDER})
        ),
    }


def _soft_break(encoded: bytes) -> bytes:
    """`encoded` (quoted-printable) ending in a soft line break, lines <= 76."""
    start = encoded.rfind(b"\n") + 1
    last = encoded[start:]
    if len(last) < _QP_LINE:
        return encoded + b"=\n"
    # Break the last line earlier, never inside an =XX escape.
    cut = _QP_LINE - 1
    while b"=" in last[max(cut - 2, 0) : cut]:
        cut -= 1
    return encoded[:start] + last[:cut] + b"=\n" + last[cut:] + b"=\n"


def _qp_template(text: str) -> bytes:
    """Quoted-printable bytes of `text`, done once for every reader.

    Each placeholder starts a line (after a soft line break) and is as long
    as the longest token it stands for, so a reader's tokens replace it in
    the encoded bytes without a line ever passing 76 characters and without
    a soft break ever falling inside a token. Each reader then costs one
    bytes.replace per placeholder instead of an encode of the whole part.
    """
    data = "\n".join(text.splitlines()).encode("utf-8") + b"\n"
    parts = _PLACEHOLDERS.split(data)
    out = binascii.b2a_qp(parts[0], istext=True)
    for i in range(1, len(parts), 2):
        out = _soft_break(out) + binascii.b2a_qp(parts[i] + parts[i + 1], istext=True)
    return out.replace(b"\n", b"\r\n")


def envelope_address(address: str) -> str:
    """The address as SMTP needs it; ValueError for what cannot be sent.

    Header injection (CR/LF) and non-ASCII local parts are refused here, so
    a bad row fails alone instead of stopping the batch.
    """
    if any(c in address for c in "\r\n\x00") or address.count("@") != 1:
        raise ValueError(f"invalid address {address!r}")
    local, _, domain = address.partition("@")
    if not local or not domain or not local.isascii() or " " in address:
        raise ValueError(f"undeliverable address {address!r}")
    return f"{local}@{punycode(domain) if not domain.isascii() else domain}"


class PreparedEdition:
    """An edition rendered once; `personalise` makes each reader's bytes."""

    def __init__(self, edition, *, subject: str, text: str, html: str, test=False):
        newsletter = edition.newsletter
        self.edition_id = edition.pk or 0
        self.newsletter_id = newsletter.pk
        sender = newsletter.from_email or settings.DEFAULT_FROM_EMAIL
        self.envelope_from = envelope_address(email.utils.parseaddr(sender)[1])
        self.domain = emails.mail_domain()
        self.mailto = config("UNSUBSCRIBE_MAILTO")
        self.unsubscribe_base = placeholder_links()["unsubscribe"].replace(
            UNSUBSCRIBE_PLACEHOLDER, "{}"
        )
        self.boundary = f"==nr-{uuid.uuid4().hex}=="
        head = [
            _POLICY.fold("From", sender),
            _POLICY.fold("Subject", subject),
            f"Date: {email.utils.format_datetime(timezone.now())}\r\n",
            _POLICY.fold("List-Id", list_id(newsletter)),
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
            "Precedence: bulk\r\n",
            # RFC 3834: no vacation replies to a newsletter.
            "Auto-Submitted: auto-generated\r\n",
            f"Feedback-ID: {self.edition_id}:{newsletter.slug}:newsroom\r\n",
        ]
        if newsletter.reply_to:
            head.append(_POLICY.fold("Reply-To", newsletter.reply_to))
        if test:
            head.append("X-Newsroom-Test: yes\r\n")
        head += [
            "MIME-Version: 1.0\r\n",
            f'Content-Type: multipart/alternative; boundary="{self.boundary}"\r\n',
        ]
        self.head = "".join(head).encode("ascii")
        self.text = _qp_template(text)
        self.html = _qp_template(html)
        self.unsubscribe_placeholder = UNSUBSCRIBE_PLACEHOLDER.encode("ascii")
        self.preferences_placeholder = PREFERENCES_PLACEHOLDER.encode("ascii")
        part = (
            '--{b}\r\nContent-Type: text/{kind}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        )
        self.text_head = part.format(b=self.boundary, kind="plain").encode("ascii")
        self.html_head = ("\r\n" + part.format(b=self.boundary, kind="html")).encode(
            "ascii"
        )
        self.tail = f"\r\n--{self.boundary}--\r\n".encode("ascii")

    def personalise(
        self, *, delivery_id: int, subscriber_id: int, address: str, name: str = ""
    ) -> tuple[str, bytes]:
        """(envelope recipient, message bytes) for one reader."""
        to_addr = envelope_address(address)
        if name and any(c in name for c in "\r\n\x00"):
            raise ValueError("line break in the subscriber's name")
        unsubscribe = tokens.unsubscribe_token(subscriber_id, self.newsletter_id)
        preferences = tokens.preferences_token(subscriber_id)
        to_header = (
            email.utils.formataddr((name, to_addr), "utf-8") if name else to_addr
        )
        list_unsubscribe = f"<{self.unsubscribe_base.format(unsubscribe)}>"
        if self.mailto:
            list_unsubscribe += (
                f",\r\n <mailto:{self.mailto}?subject=unsubscribe%20{unsubscribe}>"
            )
        personal = (
            f"To: {to_header}\r\n"
            f"Message-ID: <{self.edition_id}.{delivery_id}."
            f"{int_to_base36(subscriber_id)}@{self.domain}>\r\n"
            f"List-Unsubscribe: {list_unsubscribe}\r\n\r\n"
        ).encode("ascii")
        unsubscribe_b = unsubscribe.encode("ascii")
        preferences_b = preferences.encode("ascii")
        return to_addr, b"".join(
            (
                self.head,
                personal,
                self.text_head,
                self.text.replace(self.unsubscribe_placeholder, unsubscribe_b).replace(
                    self.preferences_placeholder, preferences_b
                ),
                self.html_head,
                self.html.replace(self.unsubscribe_placeholder, unsubscribe_b).replace(
                    self.preferences_placeholder, preferences_b
                ),
                self.tail,
            )
        )

    @classmethod
    def for_edition(cls, edition):
        """From the rendering frozen when sending started."""
        return cls(
            edition,
            subject=edition.snapshot["rendered_subject"],
            text=edition.rendered_text,
            html=edition.rendered_html,
        )


class RawEmailMessage(EmailMessage):
    """Pre-built bytes handed to a non-SMTP mailer (console, file, locmem)."""

    def __init__(self, raw: bytes, from_email: str, to: str):
        super().__init__(from_email=from_email, to=[to])
        self.raw = raw

    def message(self, *, policy=email.policy.default):
        return email.message_from_bytes(self.raw, policy=policy)


class Transport:
    """The bulk mailer, one connection per batch.

    With the SMTP backend we call smtplib's sendmail on Django's open
    connection directly with our bytes; other backends get a RawEmailMessage.
    """

    def __init__(self, alias="bulk"):
        self.backend = mailers[alias]
        self.is_smtp = isinstance(self.backend, SMTPBackend)

    def send(self, from_addr: str, to_addr: str, raw: bytes) -> None:
        if self.is_smtp:
            if self.backend.connection is None:
                self.backend.open()
            self.backend.connection.sendmail(from_addr, [to_addr], raw)
        else:
            self.backend.send_messages([RawEmailMessage(raw, from_addr, to_addr)])

    def reset(self) -> None:
        try:
            self.backend.close()
        except (smtplib.SMTPException, OSError):
            pass
        if self.is_smtp:
            self.backend.connection = None

    close = reset


# What a failure means for the row, the address and the connection.
TEMPORARY, PERMANENT, BOUNCE, CONNECTION = (
    "temporary",
    "permanent",
    "bounce",
    "connection",
)


def classify(exc: Exception) -> tuple[str, int | None, str]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(exc.recipients.values()))
        text = (
            message.decode("utf-8", "replace")
            if isinstance(message, bytes)
            else str(message)
        )
        return (BOUNCE if 500 <= code < 600 else TEMPORARY), code, text
    if isinstance(exc, smtplib.SMTPSenderRefused):
        # Our sender refused: nothing to do with this reader; stop the batch.
        return CONNECTION, exc.smtp_code, str(exc.smtp_error)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        if code == 421 or isinstance(exc, smtplib.SMTPConnectError):
            return CONNECTION, code, text
        return (PERMANENT if 500 <= code < 600 else TEMPORARY), code, text
    if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError, socket.timeout)):
        return CONNECTION, None, str(exc) or type(exc).__name__
    if isinstance(exc, (ValueError, UnicodeError)):
        return PERMANENT, None, str(exc)
    return TEMPORARY, None, f"{type(exc).__name__}: {exc}"


class _StopSignals:
    """SIGTERM/SIGINT mid-batch: finish the current message, then stop.

    The worker's own handler still runs (db_worker stops after this task;
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


class Pacer:
    """At most `per_second` messages a second from this process (0 = no limit)."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second if per_second and per_second > 0 else 0.0
        self.next = time.monotonic()

    def wait(self):
        if not self.interval:
            return
        now = time.monotonic()
        if self.next > now:
            time.sleep(self.next - now)
        self.next = max(self.next, now) + self.interval


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
            "claimed_by, last_error) "
            f"SELECT %s, subscriber_id, %s, 0, %s, '', '' FROM {subscription} "
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
        done = Edition.objects.filter(
            pk=edition_id, status=Edition.Status.SENDING
        ).update(
            status=Edition.Status.SENT,
            finished_at=timezone.now(),
            sent_count=counts["sent"],
            failed_count=counts["failed"],
            skipped_count=counts["skipped"],
            wakeup_at=None,
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
    stopped: bool = False
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
    now = timezone.now()
    queued_now = False
    if enqueue is not None:
        # Keep the chain alive before touching any row: if this process dies,
        # the successor is already queued (at once when more rows are ready
        # than this batch takes, else a watchdog for when our lease ends).
        ready = len(
            _claimable(edition_id, now).values_list("pk", flat=True)[: limit + 1]
        )
        if ready > limit:
            enqueue(None)
            queued_now = True
        elif ready:
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
        "claimed_by = '', lease_until = NULL, last_error = '' WHERE id = %s"
    )
    return check, sent


def _send_claimed(edition, ids, worker, result: BatchResult):
    prepared = PreparedEdition.for_edition(edition)
    rows = list(
        Delivery.objects.filter(pk__in=ids, claimed_by=worker, status=D.SENDING)
        .order_by("pk")
        .values_list(
            "pk", "subscriber_id", "subscriber__email", "subscriber__name", "attempts"
        )
    )
    transport = Transport()
    pacer = Pacer(settings.NEWSLETTER_RATE_LIMIT_PER_SECOND)
    lease = config("LEASE_SECONDS")
    renew_every = max(lease / 4, 1)
    renewed = time.monotonic()
    connection_failures = 0
    done = 0
    check_sql, sent_sql = _hot_sql()
    try:
        with _StopSignals() as signals, connection.cursor() as cursor:
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
                try:
                    to_addr, raw = prepared.personalise(
                        delivery_id=pk,
                        subscriber_id=subscriber_id,
                        address=address,
                        name=name,
                    )
                    transport.send(prepared.envelope_from, to_addr, raw)
                except Exception as exc:  # every failure is classified and recorded
                    kind, code, text = classify(exc)
                    _record_failure(
                        edition, pk, subscriber_id, attempts, kind, code, text, result
                    )
                    if kind == CONNECTION:
                        connection_failures += 1
                        transport.reset()
                    else:
                        connection_failures = 0
                    done += 1
                    continue
                cursor.execute(
                    sent_sql,
                    [
                        D.SENT,
                        connection.ops.adapt_datetimefield_value(timezone.now()),
                        pk,
                    ],
                )
                connection_failures = 0
                result.sent += 1
                done += 1
    finally:
        transport.close()
        # Rows claimed but never attempted go back to the queue untouched.
        left = [row[0] for row in rows[done:]]
        if left:
            delay = _backoff(1) if connection_failures >= 2 else timedelta(0)
            result.released = Delivery.objects.filter(
                pk__in=left, claimed_by=worker, status=D.SENDING
            ).update(
                status=D.PENDING,
                claimed_by="",
                lease_until=None,
                attempts=F("attempts") - 1,
                next_attempt_at=timezone.now() + delay,
            )


def _record_failure(edition, pk, subscriber_id, attempts, kind, code, text, result):
    from newsletter import services

    text = text[:1000]
    if kind in (TEMPORARY, CONNECTION) and attempts < config("MAX_ATTEMPTS"):
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
    if kind in (TEMPORARY, CONNECTION):
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
        # The server said this mailbox does not exist: stop mailing it.
        from newsletter.models import Subscriber

        subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
        if subscriber is not None:
            services.unsubscribe(
                subscriber,
                edition.newsletter,
                source=f"SMTP {code}",
                status=Subscription.Status.BOUNCED,
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
        if result.stopped or finish_if_done(edition_id):
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
