"""PostgreSQL drops the task worker's connections mid-send (issue 11, finding 6).

3,000 confirmed readers, the task worker the project runs, an SMTP sink, all
on PostgreSQL. Five times during the send every connection to the site's
database but the test's own is terminated (`pg_terminate_backend`), as a
database restart, a failover or an idle-connection reaper does. Before the
fix the worker exited at the first round and the send stopped until someone
restarted it. Now the same worker process reconnects, carries on, and the
send finishes by itself with every reader mailed exactly once: a message the
relay took just before the drop is marked sent on a new connection, not sent
again. After a sixth round once the send is over, the next edition goes out.

Where a round finds the worker between tasks, Django's connection health
check (CONN_HEALTH_CHECKS) reconnects before the next query and nothing is
logged; a round that lands inside a task is logged by whoever meets it.
"""

import signal
import time

from tests.reliability.conftest import pg_rows, pg_value, shell, site_env, wait_for

AUDIENCE = 3000
ROUNDS = 5
# The phrase every "lost the database connection, retrying" log line carries
# (the worker's loop, a batch's mark-sent retry, a batch cut short).
LOST = "lost the database connection"
SECOND_AUDIENCE = 20


SECOND_EDITION = f"""
from newsletter import sending, tasks
from tests.factories import make_brief
from tests.newsletter.factories import make_audience, make_edition, make_newsletter
newsletter = make_newsletter(name="After", slug="after")
make_audience(newsletter, {SECOND_AUDIENCE}, domain="after.example")
edition = make_edition(newsletter, [make_brief(slug="after")])
tasks.start(edition.pk)
result = edition.pk
"""


def terminate_everyone_else(url: str) -> int:
    """Terminate every other connection to the database: how many there were."""
    return len(
        pg_rows(
            url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
    )


def edition_state(url: str, edition: int) -> tuple:
    return pg_rows(
        url,
        "SELECT status, recipients_count, sent_count, failed_count, skipped_count "
        "FROM newsletter_edition WHERE id = %s",
        (edition,),
    )[0]


def test_the_worker_survives_its_database_connections_being_dropped_mid_send(
    pg_database, processes, figures, tmp_path
):
    sink = processes.sink()
    env = site_env(
        tmp_path,
        pg_database,
        BULK_EMAIL_URL=sink.url,
        # Paced so the rounds land mid-send; batches small enough that the
        # drops meet the worker between tasks as well as inside them.
        NEWSLETTER_RATE_LIMIT_PER_SECOND=600,
        NEWSLETTER_BATCH_SIZE=200,
        NEWSLETTER_LEASE_SECONDS=5,
        NEWSLETTER_RETRY_BASE_SECONDS=1,
    )
    edition = shell(
        env,
        f"""
from newsletter import sending, tasks
from tests.factories import make_brief
from tests.newsletter.factories import make_audience, make_edition, make_newsletter
newsletter = make_newsletter(name="Dropped", slug="dropped")
make_audience(newsletter, {AUDIENCE}, domain="dropped.example")
edition = make_edition(newsletter, [make_brief(sections=3, bullets=3, slug="dropped")])
tasks.start(edition.pk)
result = edition.pk
""",
    )

    worker = processes.worker(env)
    started = time.monotonic()
    rounds = []
    for number in range(1, ROUNDS + 1):
        point = number * AUDIENCE // (ROUNDS + 1)
        wait_for(
            lambda point=point: sink.count() >= point,
            90,
            f"message {point} before round {number}",
            process=worker,
        )
        rounds.append((sink.count(), terminate_everyone_else(pg_database)))
    wait_for(
        lambda: edition_state(pg_database, edition)[0] == "sent",
        90,
        "the edition to finish after the last round",
        process=worker,
        every=0.1,
    )
    duration = time.monotonic() - started
    # Once more after the send, and the next edition still goes out.
    idle_killed = terminate_everyone_else(pg_database)
    second = shell(env, SECOND_EDITION)
    wait_for(
        lambda: edition_state(pg_database, second)[0] == "sent",
        60,
        "a second edition after the idle round",
        process=worker,
        every=0.1,
    )
    # The same process all along: nobody restarted it.
    assert worker.alive, worker.output()[-3000:]
    assert worker.stop(signal.SIGTERM) == 0, worker.output()[-3000:]

    log = worker.output()
    received = sink.recipients()
    failed_tasks = pg_value(
        pg_database,
        "SELECT count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE status = 'FAILED'",
    )
    figures.update(
        {
            "readers": AUDIENCE,
            "rounds": [
                f"at message {at}: {killed} connection(s) terminated"
                for at, killed in rounds
            ],
            "send_seconds": round(duration, 1),
            "idle_round": f"{idle_killed} connection(s) terminated",
            "connection_losses_logged": log.count(LOST),
            "tasks_failed": failed_tasks,
            "delivered": sum(received.values()),
            "distinct_recipients": len(received),
            "duplicates": sum(n - 1 for n in received.values()),
            "missing": AUDIENCE + SECOND_AUDIENCE - len(received),
        }
    )
    # Each round did cut the worker off.
    assert all(killed >= 1 for _, killed in rounds), rounds
    assert log.count(LOST) >= 1, log[-3000:]
    assert idle_killed >= 1
    assert len(received) == AUDIENCE + SECOND_AUDIENCE, "some readers got nothing"
    assert set(received.values()) == {1}, "someone got the edition twice"
    assert pg_rows(
        pg_database,
        "SELECT status, count(*) FROM newsletter_delivery WHERE edition_id = %s "
        "GROUP BY status",
        (edition,),
    ) == [("sent", AUDIENCE)]
    assert edition_state(pg_database, edition) == ("sent", AUDIENCE, AUDIENCE, 0, 0)
