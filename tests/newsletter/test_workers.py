"""Real worker processes sending to a real SMTP server, killed and restarted.

Each test gets its own SQLite file (the workers are separate processes and
cannot see the test database), migrated by `manage.py migrate`, and the
workers are the commands a deployment runs: `manage.py worker`, or
`manage.py rqworker … --job-class django_tasks_rq.Job --with-scheduler` when
Redis answers on 127.0.0.1:6379.
"""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT, RQ_WORKER, TASK_WORKER, manage

AUDIENCE = 400

SETUP = f"""
from newsletter import sending, tasks
from tests.factories import make_brief
from tests.newsletter.factories import default_newsletter, make_audience, make_edition
newsletter = default_newsletter()
make_audience(newsletter, {AUDIENCE})
edition = make_edition(newsletter, [make_brief(sections=3, bullets=3)])
tasks.start(edition.pk)
"""


class Worker:
    def __init__(self, env, log: Path, command: list[str]):
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, sig):
        # Only this worker's process group: the worker and any child it forked.
        os.killpg(self.process.pid, sig)
        code = self.process.wait(timeout=30)
        self.log.close()
        return code


def db_task_worker(env, log):
    return Worker(env, log, TASK_WORKER)


def ledger(site) -> dict:
    """Delivery rows by status and the edition's (status, sent_count)."""
    queries = (
        "SELECT status, count(*) FROM newsletter_delivery GROUP BY status",
        "SELECT status, sent_count FROM newsletter_edition",
    )
    if site["kind"] == "sqlite":
        with sqlite3.connect(site["db"]) as db:
            rows = db.execute(queries[0]).fetchall()
            edition = db.execute(queries[1]).fetchone()
    else:
        import psycopg

        with psycopg.connect(site["db"], autocommit=True) as db:
            rows = db.execute(queries[0]).fetchall()
            edition = db.execute(queries[1]).fetchone()
    return {"rows": dict(rows), "edition": tuple(edition)}


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def until_sent(site, workers, timeout, what="the edition to finish"):
    """Wait for the edition to be sent, then stop `workers` whatever happened."""
    try:
        wait_for(lambda: ledger(site)["edition"][0] == "sent", timeout, what)
    finally:
        for worker in workers:
            worker.kill(signal.SIGTERM)


def postgres_server() -> dict | None:
    """The PostgreSQL server the suite runs on, or None on SQLite."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return None
    return {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or "",
    }


@pytest.fixture
def database(request, tmp_path):
    """A fresh database the worker processes share: a SQLite file always, and
    a throwaway PostgreSQL database when the suite runs on PostgreSQL (where
    claims use SELECT … FOR UPDATE SKIP LOCKED)."""
    if request.param == "sqlite":
        path = tmp_path / "db.sqlite3"
        yield {"kind": "sqlite", "url": f"sqlite:///{path}", "db": path}
        return
    server = postgres_server()
    if server is None:
        pytest.skip("PostgreSQL variant: runs when the suite runs on PostgreSQL.")
    import uuid

    import psycopg

    name = f"newsroom_workers_{uuid.uuid4().hex[:10]}"
    auth = (
        f"{server['user']}:{server['password']}@"
        if server["password"]
        else f"{server['user']}@"
    )
    base = f"postgresql://{auth}{server['host']}:{server['port']}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"kind": "postgresql", "url": f"{base}/{name}", "db": f"{base}/{name}"}
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def site(tmp_path, smtp_sink, database):
    env = {
        **os.environ,
        "DATABASE_URL": database["url"],
        "EMAIL_URL": smtp_sink.url,
        "BULK_EMAIL_URL": smtp_sink.url,
        "TASKS_BACKEND": "db",
        "SITE_URL": "https://news.example.org",
        "CACHE_URL": "locmem://worker-test",
        "PAGE_CACHE_VERSION_FILE": str(tmp_path / "content-version"),
        "LOG_LEVEL": "WARNING",
        # Slow enough to be killed mid-send, short leases so a restart
        # takes over a dead worker's rows within seconds.
        "NEWSLETTER_RATE_LIMIT_PER_SECOND": "200",
        "NEWSLETTER_BATCH_SIZE": "60",
        "NEWSLETTER_LEASE_SECONDS": "2",
        "NEWSLETTER_RETRY_BASE_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    manage(env, "migrate", "--noinput")
    return {
        "env": env,
        "kind": database["kind"],
        "db": database["db"],
        "log": tmp_path / "worker.log",
        "sink": smtp_sink,
    }


BACKENDS = pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)


def addresses(sink):
    return [m.rcpt_tos[0] for m in sink.messages]


def one_worker_sending(site, messages: int) -> Worker:
    """The edition started and one worker at it, `messages` already sent."""
    manage(site["env"], "shell", "-c", SETUP)
    worker = db_task_worker(site["env"], site["log"])
    wait_for(lambda: site["sink"].count() >= messages, 60, "the first messages")
    return worker


def restart_until_sent(site, timeout: float) -> list[str]:
    """A new worker finishes the edition: every address the sink received."""
    until_sent(site, [db_task_worker(site["env"], site["log"])], timeout)
    return addresses(site["sink"])


@BACKENDS
def test_a_worker_killed_mid_send_and_restarted_sends_the_rest_and_nobody_twice(site):
    sink = site["sink"]
    # Batches are 60 rows: 150 is the middle of the third one.
    worker = one_worker_sending(site, 150)
    worker.kill(signal.SIGKILL)
    at_kill = sink.count()
    state = ledger(site)
    assert at_kill < AUDIENCE, "the worker finished before it could be killed"
    assert state["rows"].get("sending", 0) > 0, state  # its claimed batch, orphaned

    sent = restart_until_sent(site, 90)
    duplicates = len(sent) - len(set(sent))
    assert len(set(sent)) == AUDIENCE
    # Only the message in flight at the kill may go out twice.
    assert duplicates <= 1, duplicates
    assert ledger(site) == {
        "rows": {"sent": AUDIENCE},
        "edition": ("sent", AUDIENCE),
    }


@BACKENDS
def test_sigterm_finishes_the_current_message_and_a_restart_sends_no_duplicate(site):
    sink = site["sink"]
    worker = one_worker_sending(site, 100)
    assert worker.kill(signal.SIGTERM) == 0
    state = ledger(site)
    assert "sending" not in state["rows"], state  # claimed rows handed back
    assert state["rows"]["sent"] == sink.count() < AUDIENCE

    sent = restart_until_sent(site, 60)
    assert sorted(sent) == sorted(set(sent)) and len(sent) == AUDIENCE


@BACKENDS
def test_two_workers_share_one_edition_exactly_once(site):
    env = {**site["env"], "NEWSLETTER_PARALLEL_BATCHES": "2"}
    manage(env, "shell", "-c", SETUP)
    workers = [db_task_worker(env, site["log"]) for _ in range(2)]
    until_sent(site, workers, 90)
    sent = addresses(site["sink"])
    assert len(sent) == len(set(sent)) == AUDIENCE


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@BACKENDS
def test_the_same_send_runs_on_rq_workers(site):
    if not redis_reachable():
        pytest.skip(
            "Redis is not reachable on 127.0.0.1:6379: the RQ backend was not tested."
        )
    env = {
        **site["env"],
        "TASKS_BACKEND": "rq",
        "REDIS_URL": "redis://127.0.0.1:6379/11",
        "NEWSLETTER_RATE_LIMIT_PER_SECOND": "0",
        "NEWSLETTER_PARALLEL_BATCHES": "2",
    }
    manage(env, "shell", "-c", SETUP)
    workers = [Worker(env, site["log"], RQ_WORKER) for _ in range(2)]
    until_sent(site, workers, 120, "the edition to finish on RQ")
    sent = addresses(site["sink"])
    assert len(sent) == len(set(sent)) == AUDIENCE
