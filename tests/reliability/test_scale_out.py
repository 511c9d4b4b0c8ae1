"""Scale-out: two web processes and two RQ workers on one machine, sharing
PostgreSQL and Redis, send one edition to 5,000 subscribers.

The edition is started from the admin on one gunicorn and watched from the
other (sessions live in PostgreSQL, the cache in Redis). Two task chains
run (NEWSLETTER_PARALLEL_BATCHES=2) and the workers share them through the
ledger: each subscriber gets exactly one message, and both workers send.
"""

import json
import signal
import time
from collections import Counter

from tests.helpers import shell
from tests.reliability.conftest import Session, pg_rows, pg_value, site_env, wait_for

AUDIENCE = 5000
PASSWORD = "correct horse battery staple 42"


def rq_split(redis_url: str) -> Counter:
    """Messages each RQ worker sent, from the batch results it returned."""
    import redis
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    conn = redis.Redis.from_url(redis_url)
    split = Counter()
    for job_id in FinishedJobRegistry("email", connection=conn).get_job_ids():
        for result in Job.fetch(job_id, connection=conn).results():
            value = result.return_value
            if isinstance(value, dict) and "sent" in value:
                split[result.worker_name] += value["sent"]
    return split


def registered_workers(redis_url: str) -> set[str]:
    import redis
    from rq import Worker

    return {w.name for w in Worker.all(connection=redis.Redis.from_url(redis_url))}


def test_two_web_processes_and_two_rq_workers_mail_5000_readers_once_each(
    pg_database, redis_db, processes, figures, tmp_path
):
    sink = processes.sink()
    env = site_env(
        tmp_path,
        pg_database,
        TASKS_BACKEND="rq",
        REDIS_URL=redis_db,
        CACHE_URL=redis_db,
        EMAIL_URL=sink.url,
        BULK_EMAIL_URL=sink.url,
        NEWSLETTER_PARALLEL_BATCHES=2,
        NEWSLETTER_BATCH_SIZE=250,
        LOG_LEVEL="WARNING",
    )
    edition = shell(
        env,
        f"""
from django.contrib.auth import get_user_model
from tests.factories import make_brief
from tests.newsletter.factories import default_newsletter, make_audience, make_edition
newsletter = default_newsletter()
make_audience(newsletter, {AUDIENCE}, domain="scale.example")
brief = make_brief(sections=3, bullets=3, slug="scale-out")
edition = make_edition(newsletter, [brief], subject="Scale-out edition")
get_user_model().objects.create_superuser("chief", "chief@example.org", {PASSWORD!r})
result = edition.pk
""",
    )
    web_a = processes.gunicorn(env)
    web_b = processes.gunicorn(env)
    workers = [processes.rq_worker(env, f"rel-worker-{n}") for n in (1, 2)]
    wait_for(
        lambda: registered_workers(redis_db) >= {"rel-worker-1", "rel-worker-2"},
        60,
        "both RQ workers to register",
        process=workers[0],
        every=0.1,
    )

    editor = Session()
    editor.login(web_a.url, "chief", PASSWORD)
    started = time.monotonic()
    status, headers, _ = editor.post_form(
        f"{web_a.url}/admin/newsletter/edition/{edition}/send/", {}
    )
    assert status == 302, status
    progress_url = f"{web_b.url}/admin/newsletter/edition/{edition}/progress.json"

    def progress():
        status, _, body = editor.send("GET", progress_url)
        assert status == 200, body[:500]
        return json.loads(body)

    wait_for(
        lambda: progress()["status"] == "sent",
        180,
        "the edition to be sent",
        every=0.2,
    )
    duration = time.monotonic() - started
    for worker in workers:
        assert worker.stop(signal.SIGTERM) == 0, worker.output()[-2000:]

    received = sink.recipients()
    readers = {
        email
        for (email,) in pg_rows(
            pg_database,
            "SELECT email FROM newsletter_subscriber WHERE email LIKE %s",
            ("%@scale.example",),
        )
    }
    split = rq_split(redis_db)
    figures.update(
        {
            "subscribers": len(readers),
            "messages_received": sum(received.values()),
            "distinct_recipients": len(received),
            "per_worker_sent": dict(split),
            "duration_seconds": round(duration, 1),
            "messages_per_second": round(AUDIENCE / duration, 1),
        }
    )
    assert len(readers) == AUDIENCE
    assert sum(received.values()) == AUDIENCE
    assert set(received) == readers
    assert set(split) == {"rel-worker-1", "rel-worker-2"}, split
    assert all(sent > 0 for sent in split.values()), split
    assert sum(split.values()) == AUDIENCE
    assert progress() | {"status_label": ""} == {
        "status": "sent",
        "status_label": "",
        "total": AUDIENCE,
        "sent": AUDIENCE,
        "failed": 0,
        "skipped": 0,
        "remaining": 0,
        "blocked": False,
        "blocked_at": None,
        "blocked_check": "",
        "blocked_reply": "",
    }
    assert (
        pg_value(
            pg_database,
            "SELECT sent_count FROM newsletter_edition WHERE id = %s",
            (edition,),
        )
        == AUDIENCE
    )
