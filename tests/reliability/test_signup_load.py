"""Signups under load against the running site on PostgreSQL.

500 signups posted at once to gunicorn (2 processes × 4 threads), 50 of them
repeating earlier addresses in another letter case or with spaces around,
each from its own client address behind a trusted proxy (X-Forwarded-For),
while the task worker mails confirmations to an SMTP sink: exactly 450
subscribers, no 5xx, one confirmation per address.
"""

import random
import threading
import time
from collections import Counter

import pytest

from tests.reliability.conftest import (
    pg_rows,
    pg_value,
    redis_reachable,
    request,
    site_env,
    task_backlog,
    wait_for,
)

UNIQUE = 450
REPEATS = 50
SEED = 20261125


def spelled_differently(address: str, rng: random.Random) -> str:
    local, _, domain = address.partition("@")
    return rng.choice(
        [
            address.upper(),
            f"{local.capitalize()}@{domain.upper()}",
            f"  {address}  ",
            f"\u00a0{local.upper()}@{domain}\t",
            f" {local}@{domain.title()}",
        ]
    )


@pytest.fixture(scope="module")
def site(pg_database, module_processes, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("signup-load")
    sink = module_processes.sink()
    # A shared cache makes the limits hold across gunicorn's processes.
    cache = "redis://127.0.0.1:6379/9" if redis_reachable() else "locmem://load"
    env = site_env(
        tmp,
        pg_database,
        EMAIL_URL=sink.url,
        BULK_EMAIL_URL=sink.url,
        CACHE_URL=cache,
        # The load arrives through our proxy on 127.0.0.1, which names the
        # client in X-Forwarded-For.
        TRUSTED_PROXIES="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    if cache.startswith("redis"):
        import redis

        redis.Redis.from_url(cache).flushdb()
    web = module_processes.gunicorn(env, workers=2, threads=4)
    worker = module_processes.worker(env)
    return {"env": env, "web": web, "worker": worker, "sink": sink, "cache": cache}


def post_signup(web, email: str, client_ip: str) -> tuple[int, dict, bytes]:
    return request(
        "POST",
        f"{web.url}/newsletter/",
        data={"email": email, "source": "footer", "next": "/"},
        headers={
            "Origin": web.url,
            "X-Forwarded-For": client_ip,
        },
    )


def test_500_concurrent_signups_make_450_subscribers_and_450_confirmations(
    site, pg_database, figures
):
    rng = random.Random(SEED)
    addresses = [f"reader{i:03d}@load.example" for i in range(UNIQUE)]
    posts = addresses + [
        spelled_differently(a, rng) for a in rng.sample(addresses, REPEATS)
    ]
    rng.shuffle(posts)
    barrier = threading.Barrier(len(posts) + 1)
    results = [None] * len(posts)

    def sign_up(i, email):
        # 198.18.0.0/15 is set aside for benchmarks: one client each.
        client = f"198.18.{i // 250}.{i % 250 + 1}"
        barrier.wait(timeout=60)
        started = time.monotonic()
        try:
            status, _, _ = post_signup(site["web"], email, client)
        except OSError as exc:
            status = f"error {type(exc).__name__}"
        results[i] = (status, time.monotonic() - started)

    threads = [
        threading.Thread(target=sign_up, args=(i, email), daemon=True)
        for i, email in enumerate(posts)
    ]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    started = time.monotonic()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.monotonic() - started
    assert not any(thread.is_alive() for thread in threads), "requests hung"

    statuses = Counter(status for status, _ in results)
    latencies = sorted(seconds for _, seconds in results)
    figures.update(
        {
            "signups": len(posts),
            "signups_per_second": round(len(posts) / elapsed, 1),
            "status_histogram": dict(statuses),
            "latency_p50_ms": round(latencies[len(latencies) // 2] * 1000),
            "latency_p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000),
            "cache": site["cache"].split(":")[0],
        }
    )
    assert not [s for s in statuses if not isinstance(s, int) or s >= 500], statuses
    assert statuses == {303: len(posts)}, statuses

    stored = pg_rows(pg_database, "SELECT email FROM newsletter_subscriber")
    assert sorted(email for (email,) in stored) == addresses
    assert pg_value(pg_database, "SELECT count(*) FROM newsletter_subscription") == (
        UNIQUE
    )
    assert pg_value(
        pg_database,
        "SELECT count(*) FROM newsletter_subscriptionevent WHERE kind = 'requested'",
    ) == (UNIQUE)

    # Every confirmation the signups queued has been mailed, then count them.
    sink = site["sink"]
    wait_for(
        lambda: sink.count() >= UNIQUE and task_backlog(pg_database) == 0,
        180,
        "the worker to mail the confirmations",
        process=site["worker"],
        every=0.2,
    )
    queued = pg_value(
        pg_database,
        "SELECT count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE task_path LIKE '%%send_confirmation'",
    )
    received = sink.recipients()
    figures.update(
        {
            "confirmations_queued": queued,
            "confirmations_received": sum(received.values()),
            "addresses_mailed_twice": sum(1 for n in received.values() if n > 1),
        }
    )
    assert queued == UNIQUE
    assert sorted(received) == addresses
    assert set(received.values()) == {1}
    assert "Traceback" not in site["web"].output() + site["worker"].output()


def test_a_spoofed_forwarded_for_does_not_reset_the_per_client_limit(
    site, pg_database, figures
):
    if not site["cache"].startswith("redis"):
        pytest.skip(
            "Redis is not reachable: with a per-process cache the limit is per "
            "gunicorn process, which this test does not measure."
        )
    # The client forges the left part of the header; our proxy appends the
    # address it saw (198.19.255.7), the only one a limit may count.
    codes = []
    retry_after = None
    for i in range(25):
        status, headers, body = post_signup(
            site["web"], f"spoof{i}@load.example", f"10.{i}.0.1, 198.19.255.7"
        )
        codes.append(status)
        if status == 429:
            retry_after = int(headers["Retry-After"])
            page = body.decode()
    figures["spoofed_posts_accepted_before_429"] = codes.index(429)
    assert codes == [303] * 20 + [429] * 5, codes
    assert 1 <= retry_after <= 3600
    assert "try again in" in page
    # Another client behind the same proxy is still welcome.
    status, _, _ = post_signup(site["web"], "other@load.example", "198.19.255.8")
    assert status == 303
