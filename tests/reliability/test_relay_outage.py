"""A relay that refuses everything for a while, then recovers (issue 11).

300 confirmed readers, a real task worker (`manage.py worker`), the admin
served by gunicorn, all on PostgreSQL; the SMTP relay (tests/smtp_sink.py)
answers `550 5.7.1 Relaying denied` to every recipient until
the test lets it recover. Before the fix this turned every reader into
"bounced". Now the send pauses after a run of identical refusals, the
edition's admin page says why and what to check, a resume while the relay
still refuses pauses again, and the resume after it recovers delivers to all
300 exactly once, with no subscription touched.
"""

import json
import re
import signal
import time

from tests.helpers import shell
from tests.reliability.conftest import (
    Session,
    ledger,
    pg_rows,
    pg_value,
    site_env,
    wait_for,
    wait_until_sent,
)

AUDIENCE = 300
REFUSAL = "550 5.7.1 Relaying denied"
BREAKER_RUN = 20  # the default NEWSLETTER_BREAKER_RUN
OUTAGE_SECONDS = 10  # the relay refuses at least this long before it recovers
PASSWORD = "relay-outage-password"


def subscriptions(url: str, newsletter: int) -> list[tuple]:
    return pg_rows(
        url,
        "SELECT id, status, status_changed_at, unsubscribed_at "
        "FROM newsletter_subscription WHERE newsletter_id = %s ORDER BY id",
        (newsletter,),
    )


def consent_events(url: str) -> dict:
    return dict(
        pg_rows(
            url, "SELECT kind, count(*) FROM newsletter_subscriptionevent GROUP BY kind"
        )
    )


def refusals(sink) -> list[float]:
    return [t for t, kind, _, code in sink.events() if kind == "RCPT" and code == "550"]


def in_flight(url: str, edition: int) -> int:
    return ledger(url, edition).get("sending", 0)


def resume_from_the_admin(session: Session, base: str, edition: int) -> None:
    """Press the edition page's Resume button (GET the page, POST its form)."""
    page = f"{base}/admin/newsletter/edition/{edition}/change/"
    status, _, body = session.send("GET", page)
    assert status == 200, body[:500]
    html = body.decode()
    form = re.search(r'<form method="post" action="([^"]+/resume/)"', html)
    assert form, "no Resume button on the paused edition's page"
    token = Session.CSRF.search(html).group(1)
    status, headers, body = session.send(
        "POST", f"{base}{form.group(1)}", {"csrfmiddlewaretoken": token}
    )
    assert status == 302, (status, body[:500])


def test_a_relay_refusing_everything_pauses_the_send_and_loses_nobody(
    pg_database, processes, figures, tmp_path
):
    down = tmp_path / "relay-down"
    down.touch()
    sink = processes.sink({"refuse_all": {"reply": REFUSAL, "while_exists": str(down)}})
    env = site_env(tmp_path, pg_database, EMAIL_URL=sink.url, BULK_EMAIL_URL=sink.url)
    web = processes.gunicorn(env)
    ids = shell(
        env,
        f"""
from newsletter import sending, tasks
from tests.factories import make_brief, make_user
from tests.newsletter.factories import make_audience, make_edition, make_newsletter
newsletter = make_newsletter(name="Outage", slug="outage")
make_audience(newsletter, {AUDIENCE}, domain="outage.example")
user = make_user("chief", superuser=True)
user.set_password("{PASSWORD}")
user.save()
edition = make_edition(newsletter, [make_brief(sections=2, bullets=2, slug="outage")])
tasks.start(edition.pk)
result = {{"edition": edition.pk, "newsletter": newsletter.pk}}
""",
    )
    edition, newsletter = ids["edition"], ids["newsletter"]
    before = subscriptions(pg_database, newsletter)
    events_before = consent_events(pg_database)
    assert len(before) == AUDIENCE and {row[1] for row in before} == {"confirmed"}

    worker = processes.worker(env)
    wait_for(
        lambda: (
            len(refusals(sink)) >= BREAKER_RUN and in_flight(pg_database, edition) == 0
        ),
        90,
        "the worker to stop after a run of refusals",
        process=worker,
        every=0.05,
    )
    # Nobody was unsubscribed, nothing was given up: every row is still due.
    changed = sum(
        a != b
        for a, b in zip(before, subscriptions(pg_database, newsletter), strict=True)
    )
    assert changed == 0, f"{changed} subscriptions changed by the relay's refusals"
    assert consent_events(pg_database) == events_before
    assert ledger(pg_database, edition) == {"pending": AUDIENCE}
    status, blocked_at, reply = pg_rows(
        pg_database,
        "SELECT status, blocked_at, blocked_reply FROM newsletter_edition "
        "WHERE id = %s",
        (edition,),
    )[0]
    paused = time.monotonic()
    assert status == "sending" and blocked_at is not None
    assert REFUSAL in reply
    # The breaker stopped at its run: the relay saw no more than that.
    assert len(refusals(sink)) == BREAKER_RUN
    wait_for(lambda: "paused" in worker.output(), 10, "the pause in the log")
    assert REFUSAL in worker.output()

    # The editor sees it on the edition's page, with the reply and what to check.
    session = Session()
    session.login(web.url, "chief", PASSWORD)
    status, _, body = session.send(
        "GET", f"{web.url}/admin/newsletter/edition/{edition}/change/"
    )
    page = body.decode()
    assert status == 200
    for text in [
        "Sending is paused",
        REFUSAL,
        "What to check",
        "Relay credentials",
        "blocklist",
        "SPF",
        "Resume sending",
    ]:
        assert text in page, text
    status, _, body = session.send(
        "GET", f"{web.url}/admin/newsletter/edition/{edition}/progress.json"
    )
    progress = json.loads(body)
    assert (progress["blocked"], progress["remaining"]) == (True, AUDIENCE)
    assert REFUSAL in progress["blocked_reply"]

    # Resumed too early: the relay still refuses, so it pauses again after
    # another run, and still nobody is unsubscribed or given up.
    resume_from_the_admin(session, web.url, edition)
    wait_for(
        lambda: (
            len(refusals(sink)) >= 2 * BREAKER_RUN
            and in_flight(pg_database, edition) == 0
            and pg_value(
                pg_database,
                "SELECT blocked_at IS NOT NULL FROM newsletter_edition WHERE id = %s",
                (edition,),
            )
        ),
        60,
        "the second pause",
        process=worker,
        every=0.05,
    )
    assert len(refusals(sink)) == 2 * BREAKER_RUN
    assert ledger(pg_database, edition) == {"pending": AUDIENCE}

    # The relay recovers after its outage; the editor resumes from the admin.
    first_refusal = refusals(sink)[0]
    time.sleep(max(0.0, first_refusal + OUTAGE_SECONDS - time.time()))
    down.unlink()
    recovered = time.time()
    resume_from_the_admin(session, web.url, edition)
    resumed = time.monotonic()
    wait_until_sent(
        pg_database,
        edition,
        120,
        "the edition to finish after the relay recovered",
        worker,
    )
    assert worker.stop(signal.SIGTERM) == 0

    received = sink.recipients()
    after = subscriptions(pg_database, newsletter)
    figures.update(
        {
            "readers": AUDIENCE,
            "refused_by_the_relay": len(refusals(sink)),
            "relay_refused_for_seconds": round(recovered - first_refusal, 1),
            "paused_for_seconds": round(resumed - paused, 1),
            "delivered": sum(received.values()),
            "distinct_recipients": len(received),
            "duplicates": sum(n - 1 for n in received.values()),
            "subscriptions_changed": sum(
                a != b for a, b in zip(before, after, strict=True)
            ),
        }
    )
    assert len(received) == AUDIENCE
    assert set(received.values()) == {1}, "someone got the edition twice"
    assert after == before
    assert consent_events(pg_database) == events_before
    assert ledger(pg_database, edition) == {"sent": AUDIENCE}
    assert pg_rows(
        pg_database,
        "SELECT status, sent_count, failed_count, blocked_at FROM newsletter_edition "
        "WHERE id = %s",
        (edition,),
    )[0] == ("sent", AUDIENCE, 0, None)
    # Nothing burned: the refusals were not counted against any reader.
    assert (
        pg_value(
            pg_database,
            "SELECT max(attempts) FROM newsletter_delivery WHERE edition_id = %s",
            (edition,),
        )
        == 1
    )
