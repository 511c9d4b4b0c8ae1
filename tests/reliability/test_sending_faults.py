"""Sending an edition while things go wrong, on PostgreSQL with real processes.

- The task worker (`manage.py worker`) is killed with SIGKILL and SIGTERM
  at random points of a 2,000-subscriber send, and restarted each time.
  Every subscriber still on the list gets the edition; the only copies that
  may go out twice are the ones in flight at a SIGKILL (at most one each),
  none at a SIGTERM. Readers who unsubscribe through the site (gunicorn)
  while the send runs get nothing more.
- An SMTP server that refuses some recipients for a while (4xx), for good
  (5xx at RCPT or DATA) or drops the connection: temporary failures and
  refusals that are not the reader's (5.7.1 at DATA) are retried with growing
  back-off, a gone mailbox (5.1.1) recorded at once and unsubscribed, the rest
  delivered once, and the counts add up. (A relay refusing everyone:
  test_relay_outage.py.)
- An SMTP server that accepts connections and never answers: a timeout the
  worker survives, not a hang; once the relay is back everything goes out.

tests/newsletter/test_workers.py covers one kill of a 400-subscriber send on
SQLite; this is the same machinery under repeated faults on PostgreSQL.
"""

import itertools
import os
import random
import signal
import socket
import threading
from datetime import timedelta

import pytest
import time_machine
from django.test import TestCase, override_settings

from tests.helpers import DUMMY_TASKS, shell
from tests.reliability.conftest import (
    SECRET_KEY,
    edition_state,
    ledger,
    pg_rows,
    pg_value,
    request,
    seed_edition,
    site_env,
    wait_for,
    wait_until_sent,
)

AUDIENCE = 2000
LOCMEM_MAILERS = {
    "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
    "bulk": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
}
LEAVERS = 10
KILLS = ["SIGKILL"] * 3 + ["SIGTERM"] * 3


@pytest.fixture
def pg_database(pg_database_per_test):
    # One database per test: a test that fails mid-send leaves its tasks
    # queued, and the next test's worker would send them to its own sink.
    return pg_database_per_test


def held_by(url: str, edition: int, pid: int) -> list[tuple[int, str]]:
    """Rows a worker process still holds ("sending"), with their address."""
    return pg_rows(
        url,
        "SELECT d.id, s.email FROM newsletter_delivery d "
        "JOIN newsletter_subscriber s ON s.id = d.subscriber_id "
        "WHERE d.edition_id = %s AND d.status = 'sending' AND d.claimed_by LIKE %s",
        (edition, f"%:{pid}:%"),
    )


def one_per_kill(duplicates: set[str], orphans: list[set[str]]) -> bool:
    """Can each duplicate be put down to a different SIGKILL whose worker held it?"""
    addresses = sorted(duplicates)
    return any(
        all(
            address in orphans[kill]
            for address, kill in zip(addresses, kills, strict=True)
        )
        for kills in itertools.permutations(range(len(orphans)), len(addresses))
    )


def test_duplicates_are_matched_one_to_one_with_the_kills_that_held_them():
    held = [{"a", "b"}, {"b"}]
    assert one_per_kill({"a", "b"}, held)  # a from the first kill, b the second
    assert one_per_kill(set(), held)
    assert not one_per_kill({"a", "c"}, held)  # c was held by no dead worker
    assert not one_per_kill({"a", "b"}, [{"a", "b"}])  # two from one kill
    assert not one_per_kill({"a", "b", "x"}, held + [{"y"}])


def kill_plan(rng: random.Random) -> list[tuple[str, int]]:
    """Six kills in random order at random points, at least 120 messages apart."""
    order = KILLS[:]
    rng.shuffle(order)
    while True:
        points = sorted(rng.sample(range(100, AUDIENCE - 200, 10), len(order)))
        if all(b - a >= 120 for a, b in zip(points, points[1:], strict=False)):
            return list(zip(order, points, strict=True))


def test_killed_and_restarted_workers_deliver_everything_once(
    pg_database, processes, figures, tmp_path
):
    seed_value = int(os.environ.get("RELIABILITY_SEED", random.randrange(10**6)))
    rng = random.Random(seed_value)
    figures["seed"] = seed_value
    sink = processes.sink()
    env = site_env(
        tmp_path,
        pg_database,
        EMAIL_URL=sink.url,
        BULK_EMAIL_URL=sink.url,
        # Paced so that kills land mid-send; short leases so a restarted
        # worker takes over a killed one's rows within seconds.
        NEWSLETTER_RATE_LIMIT_PER_SECOND=400,
        NEWSLETTER_BATCH_SIZE=100,
        NEWSLETTER_LEASE_SECONDS=2,
        NEWSLETTER_RETRY_BASE_SECONDS=1,
    )
    web = processes.gunicorn(env)
    ids = seed_edition(env, "killed", AUDIENCE)
    edition = ids["edition"]
    # The readers sent to last leave early in the send, through the site.
    leavers = pg_rows(
        pg_database,
        "SELECT s.id, s.email FROM newsletter_delivery d "
        "JOIN newsletter_subscriber s ON s.id = d.subscriber_id "
        "WHERE d.edition_id = %s ORDER BY d.id DESC LIMIT %s",
        (edition, LEAVERS),
    )
    from newsletter import tokens

    with override_settings(SECRET_KEY=SECRET_KEY):
        leave_urls = [
            f"{web.url}/u/{tokens.unsubscribe_token(pk, ids['newsletter'])}/"
            for pk, _ in leavers
        ]

    plan = kill_plan(rng)
    orphans = []  # per SIGKILL: the rows the dead worker still held
    kills = []
    for number, (sig, point) in enumerate(plan):
        worker = processes.worker(env)
        # Mid-send: past the planned point and past what this worker found.
        point = max(point, sink.count() + 30)
        wait_for(
            lambda point=point: sink.count() >= point,
            90,
            f"message {point} before kill {number + 1}",
            process=worker,
        )
        if number == 0:
            for url in leave_urls:
                status, _, body = request(
                    "POST", url, data="List-Unsubscribe=One-Click"
                )
                assert status == 200, body[:500]
        if sig == "SIGKILL":
            worker.stop(signal.SIGKILL)
            orphans.append(
                {email for _, email in held_by(pg_database, edition, worker.pid)}
            )
        else:
            # Graceful: the message being sent is finished, the rest handed back.
            assert worker.stop(signal.SIGTERM, timeout=30) == 0, worker.output()[-2000:]
            assert held_by(pg_database, edition, worker.pid) == []
        kills.append((sig, point, sink.count()))
        assert edition_state(pg_database, edition)[0] == "sending", (
            "the send finished before every kill landed"
        )

    last = processes.worker(env)
    wait_until_sent(
        pg_database, edition, 120, "the edition to finish after the last restart", last
    )
    assert last.stop(signal.SIGTERM) == 0

    received = sink.recipients()
    stayed = {
        email
        for (email,) in pg_rows(
            pg_database,
            "SELECT s.email FROM newsletter_subscriber s "
            "JOIN newsletter_subscription n ON n.subscriber_id = s.id "
            "WHERE n.newsletter_id = %s AND n.status = 'confirmed'",
            (ids["newsletter"],),
        )
    }
    left = {email for _, email in leavers}
    twice = {address: n for address, n in received.items() if n > 1}
    retried = pg_value(
        pg_database,
        "SELECT count(*) FROM newsletter_delivery WHERE edition_id = %s "
        "AND attempts > 1",
        (edition,),
    )
    figures.update(
        {
            "kills": [f"{sig} at message {count}" for sig, _, count in kills],
            "sigkills": KILLS.count("SIGKILL"),
            "sigterms": KILLS.count("SIGTERM"),
            "messages_delivered": sum(received.values()),
            "distinct_recipients": len(received),
            "duplicates": sum(n - 1 for n in twice.values()),
            "rows_taken_over_after_a_kill": retried,
            "unsubscribed_mid_send": len(left),
        }
    )
    assert len(stayed) == AUDIENCE - LEAVERS
    assert set(received) == stayed, "someone still subscribed got nothing"
    assert not left & set(received), "a reader who left still got the edition"
    # Only a message in flight at a SIGKILL may go out twice: at most one
    # per SIGKILL, and only an address that dead worker was holding.
    assert sum(n - 1 for n in twice.values()) <= KILLS.count("SIGKILL"), twice
    assert all(n == 2 for n in twice.values()), twice
    # Each duplicate must be the message in flight at a different SIGKILL: one
    # address per dead worker, held by it. One dead worker's rows may hold two
    # duplicates (a later worker re-claimed its rows and died mid-message on
    # one of them), so what is checked is a one-to-one match, not per-set counts.
    assert one_per_kill(set(twice), orphans), (twice, orphans)
    assert ledger(pg_database, edition) == {
        "sent": AUDIENCE - LEAVERS,
        "skipped": LEAVERS,
    }
    assert edition_state(pg_database, edition) == (
        "sent",
        AUDIENCE,
        AUDIENCE - LEAVERS,
        0,
        LEAVERS,
    )
    # The unsubscribe links went through gunicorn: its access log has a line
    # for each, and no log holds a token (newsroom/logging.py), a refused
    # one included.
    status, _, _ = request("POST", leave_urls[0].replace("/u/", "/u/x"))
    assert status == 400
    # (gunicorn writes the line once the response is out: wait for it.)
    wait_for(
        lambda: web.output().count('"POST /u/[redacted]/') == LEAVERS + 1,
        10,
        "the access log lines of the unsubscribe requests",
    )
    logs = "".join(p.output() for p in processes.started)
    for url in leave_urls:
        assert url.rsplit("/", 2)[1] not in logs


# SMTP faults ----------------------------------------------------------------

TEMPORARY_TWICE = [f"busy{i}@faults.example" for i in range(5)]
TEMPORARY_ALWAYS = [f"full{i}@faults.example" for i in range(2)]
NO_SUCH_USER = [f"gone{i}@faults.example" for i in range(3)]
REJECTED_AT_DATA = [f"spammy{i}@faults.example" for i in range(2)]
DROPPED_ONCE = [f"flaky{i}@faults.example" for i in range(3)]
FINE = [f"fine{i}@faults.example" for i in range(25)]
MAX_ATTEMPTS = 3
BASE_SECONDS = 1


def test_temporary_failures_are_retried_with_backoff_and_gone_mailboxes_are_not(
    pg_database, processes, figures, tmp_path
):
    sink = processes.sink(
        {
            "rcpt": {a: ["451 4.7.1 Try again later"] * 2 for a in TEMPORARY_TWICE},
            "rcpt_always": {
                **dict.fromkeys(TEMPORARY_ALWAYS, "452 4.2.2 Mailbox full"),
                **dict.fromkeys(NO_SUCH_USER, "550 5.1.1 No such user"),
            },
            "data_always": dict.fromkeys(REJECTED_AT_DATA, "554 5.7.1 Rejected"),
            "drop_once": DROPPED_ONCE,
        }
    )
    env = site_env(
        tmp_path,
        pg_database,
        BULK_EMAIL_URL=sink.url,
        NEWSLETTER_MAX_ATTEMPTS=MAX_ATTEMPTS,
        NEWSLETTER_RETRY_BASE_SECONDS=BASE_SECONDS,
        NEWSLETTER_LEASE_SECONDS=5,
    )
    everyone = (
        TEMPORARY_TWICE
        + TEMPORARY_ALWAYS
        + NO_SUCH_USER
        + REJECTED_AT_DATA
        + DROPPED_ONCE
        + FINE
    )
    ids = shell(
        env,
        f"""
from django.utils import timezone
from newsletter import sending, tasks
from newsletter.models import Subscriber, Subscription
from tests.factories import make_brief
from tests.newsletter.factories import make_edition, make_newsletter
newsletter = make_newsletter(name="Faults", slug="faults")
for address in {everyone!r}:
    Subscription.objects.create(
        subscriber=Subscriber.objects.create(email=address),
        newsletter=newsletter,
        status="confirmed",
        confirmed_at=timezone.now(),
    )
edition = make_edition(newsletter, [make_brief(slug="faults")])
tasks.start(edition.pk)
result = {{"edition": edition.pk, "newsletter": newsletter.pk}}
""",
    )
    edition = ids["edition"]
    worker = processes.worker(env)
    wait_until_sent(pg_database, edition, 90, "the edition to finish", worker)
    assert worker.stop(signal.SIGTERM) == 0

    rows = {
        email: (status, attempts, code, error)
        for email, status, attempts, code, error in pg_rows(
            pg_database,
            "SELECT s.email, d.status, d.attempts, d.smtp_code, d.last_error "
            "FROM newsletter_delivery d JOIN newsletter_subscriber s "
            "ON s.id = d.subscriber_id WHERE d.edition_id = %s",
            (edition,),
        )
    }
    events = sink.events()
    rcpt_times = {
        address: [t for t, kind, a, _ in events if kind == "RCPT" and a == address]
        for address in everyone
    }
    received = sink.recipients()
    delivered = TEMPORARY_TWICE + DROPPED_ONCE + FINE
    failed = TEMPORARY_ALWAYS + NO_SUCH_USER + REJECTED_AT_DATA
    retries = sum(len(times) - 1 for times in rcpt_times.values())
    figures.update(
        {
            "recipients": len(everyone),
            "delivered": len(received),
            "failed": len(failed),
            "retries": retries,
            "connections_dropped": len(DROPPED_ONCE),
        }
    )
    # Delivered exactly once, whatever happened on the way.
    assert received == dict.fromkeys(delivered, 1)
    for address in TEMPORARY_TWICE:
        assert rows[address][:2] == ("sent", 3), rows[address]
        first, second, third = rcpt_times[address]
        # Back-off: BASE after the first failure, twice that after the second.
        assert second - first >= BASE_SECONDS - 0.01, rcpt_times[address]
        assert third - second >= 2 * BASE_SECONDS - 0.01, rcpt_times[address]
    for address in DROPPED_ONCE:
        assert rows[address][:2] == ("sent", 2), rows[address]
    for address in TEMPORARY_ALWAYS:
        status, attempts, code, error = rows[address]
        assert (status, attempts, code) == ("failed", MAX_ATTEMPTS, 452)
        assert error.startswith(f"Gave up after {MAX_ATTEMPTS} attempts")
        assert len(rcpt_times[address]) == MAX_ATTEMPTS
    for address in NO_SUCH_USER:
        status, attempts, code, _ = rows[address]
        # The mailbox is gone: recorded at the first answer, never tried again.
        assert (status, attempts, code) == ("failed", 1, 550), rows[address]
        assert len(rcpt_times[address]) == 1
    for address in REJECTED_AT_DATA:
        status, attempts, code, error = rows[address]
        # A policy refusal is not the reader's: tried again, then given up.
        assert (status, attempts, code) == ("failed", MAX_ATTEMPTS, 554)
        assert error.startswith(f"Gave up after {MAX_ATTEMPTS} attempts")
        assert len(rcpt_times[address]) == MAX_ATTEMPTS
    # A mailbox that does not exist is taken off the list; a rejected
    # message says nothing about the mailbox.
    statuses = dict(
        pg_rows(
            pg_database,
            "SELECT s.email, n.status FROM newsletter_subscription n "
            "JOIN newsletter_subscriber s ON s.id = n.subscriber_id "
            "WHERE n.newsletter_id = %s",
            (ids["newsletter"],),
        )
    )
    assert {statuses[a] for a in NO_SUCH_USER} == {"bounced"}
    assert {statuses[a] for a in REJECTED_AT_DATA} == {"confirmed"}
    # The counts add up, in the ledger and on the edition.
    assert ledger(pg_database, edition) == {
        "sent": len(delivered),
        "failed": len(failed),
    }
    assert edition_state(pg_database, edition) == (
        "sent",
        len(everyone),
        len(delivered),
        len(failed),
        0,
    )


# A relay that never answers ---------------------------------------------------


class Blackhole:
    """Accepts TCP connections on 127.0.0.1 and never says a word."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.held = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.server.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def blackhole():
    hole = Blackhole()
    try:
        yield hole
    finally:
        hole.close()


def test_a_relay_that_never_answers_times_out_instead_of_hanging(
    pg_database, processes, blackhole, figures, tmp_path
):
    silent = f"smtp://127.0.0.1:{blackhole.port}?timeout=1"
    env = site_env(
        tmp_path,
        pg_database,
        EMAIL_URL=silent,
        BULK_EMAIL_URL=silent,
        NEWSLETTER_RETRY_BASE_SECONDS=2,
        NEWSLETTER_LEASE_SECONDS=5,
    )
    ids = seed_edition(env, "silent", 5)
    edition = ids["edition"]
    # A confirmation mail queued too: transactional mail has the timeout.
    shell(
        env,
        """
from newsletter import services
from newsletter.models import Newsletter
services.signup("new@silent.example", [Newsletter.objects.get(slug="silent")], source="footer")
result = {}
""",
    )
    worker = processes.worker(env)

    def timed_out():
        errors = pg_rows(
            pg_database,
            "SELECT last_error FROM newsletter_delivery WHERE edition_id = %s "
            "AND status = 'pending' AND attempts >= 1",
            (edition,),
        )
        return any("timed out" in error for (error,) in errors)

    wait_for(timed_out, 60, "a delivery to record a timeout", process=worker)

    def confirmation():
        return pg_rows(
            pg_database,
            "SELECT status, return_value FROM django_tasks_database_dbtaskresult "
            "WHERE task_path LIKE '%%send_confirmation' ORDER BY enqueued_at",
        )

    wait_for(
        lambda: confirmation()[0][0] in ("SUCCESSFUL", "FAILED"),
        60,
        "the confirmation task to give up on the silent relay for now",
        process=worker,
    )
    # It waits for its own retry instead of holding the worker.
    assert confirmation()[0] == ("SUCCESSFUL", "retry scheduled"), confirmation()
    # Still responsive: it stops when asked, like any idle worker.
    assert worker.stop(signal.SIGTERM, timeout=20) == 0
    assert (
        pg_value(
            pg_database,
            "SELECT count(*) FROM newsletter_delivery WHERE edition_id = %s "
            "AND status = 'sending'",
            (edition,),
        )
        == 0
    )
    figures["connections_left_hanging_by_the_relay"] = len(blackhole.held)

    # The relay is back: the rows waiting for their retry go out, once each.
    sink = processes.sink()
    env.update(EMAIL_URL=sink.url, BULK_EMAIL_URL=sink.url)
    worker = processes.worker(env)
    wait_until_sent(
        pg_database, edition, 60, "the edition to finish once the relay answers", worker
    )
    assert worker.stop(signal.SIGTERM) == 0
    received = sink.recipients()
    assert sorted(received.values()) == [1] * 5
    assert ledger(pg_database, edition) == {"sent": 5}


# A chain of batch tasks that loses a link ------------------------------------


class ChainRecoveryTests(TestCase):
    """A worker can die after taking a batch task and before that task queues
    the next one (with SIGKILL, or RQ losing a work-horse): a deferred
    watchdog is then all that keeps the send going."""

    def test_a_batch_that_queues_its_successor_also_leaves_a_watchdog(self):
        from newsletter import tasks
        from tests.factories import make_brief
        from tests.newsletter.factories import (
            default_newsletter,
            make_audience,
            make_edition,
        )

        newsletter = default_newsletter()
        make_audience(newsletter, 5)
        edition = make_edition(newsletter, [make_brief()])
        with self.settings(TASKS=DUMMY_TASKS):
            tasks.start(edition.pk)
        queued = []
        with self.settings(MAILERS=LOCMEM_MAILERS):
            tasks.chained_batch(edition.pk, worker="w", limit=2, enqueue=queued.append)
        self.assertIn(None, queued)  # the next batch, at once
        watchdogs = [when for when in queued if when is not None]
        self.assertEqual(len(watchdogs), 1)
        # The next batch's worker dies before it queues anything: the
        # watchdog's task carries on, and the send finishes.
        with (
            self.settings(MAILERS=LOCMEM_MAILERS),
            time_machine.travel(watchdogs[0] + timedelta(seconds=1)),
        ):
            while tasks.chained_batch(edition.pk, enqueue=lambda when: None).claimed:
                pass
        edition.refresh_from_db()
        self.assertEqual((edition.status, edition.sent_count), ("sent", 5))
