"""The steps of the sending bench that run inside Django, each in a child
process the bench starts with its environment (bench/sending.py):

    python -m bench.in_django.sending_steps _prepare SMALL BIG ROUNDS
    python -m bench.in_django.sending_steps _limit EDITION COUNT
    python -m bench.in_django.sending_steps _start EDITION
    python -m bench.in_django.sending_steps _result EDITION
    python -m bench.in_django.sending_steps _click_paths EDITION COUNT
    python -m bench.in_django.sending_steps _clicks_recorded EDITION

Each prints its answer as JSON on its last line.
"""

import json
import os
import smtplib
import sys
import time

from django.conf import settings
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from bench.in_django.data import build
from bench.sending import out
from newsletter import compose, mime, starting, tasks, tracking
from newsletter.models import (
    Click,
    Delivery,
    Edition,
    EditionItem,
    Newsletter,
    Subscriber,
    Subscription,
    TrackedLink,
)


def step_prepare(small: int, big: int, rounds: int, briefs: int) -> None:
    """Briefs, a newsletter of `small` and one of `big` readers, and editions:
    one for the small list, one per round for the big one. Each edition has
    the five latest briefs with their first three sections, a usual daily."""
    build(briefs)
    latest = list(Article.objects.published().order_by("-published_at")[:5])
    now = timezone.now()
    editions = {}
    start = 0
    for label, size, count in (("small", small, 1), ("big", big, rounds)):
        newsletter = Newsletter.objects.create(
            name=f"Bench {label}",
            slug=f"bench-{label}",
            track_clicks=os.environ.get("BENCH_CLICK_TRACKING", "1") == "1",
        )
        people = Subscriber.objects.bulk_create(
            (Subscriber(email=f"reader{start + i}@example.com") for i in range(size)),
            batch_size=2000,
        )
        start += size
        Subscription.objects.bulk_create(
            (
                Subscription(
                    subscriber=p,
                    newsletter=newsletter,
                    status="confirmed",
                    confirmed_at=now,
                )
                for p in people
            ),
            batch_size=2000,
        )
        editions[label] = []
        for _ in range(count):
            edition = Edition.objects.create(
                newsletter=newsletter,
                subject="Ports reopen, rates hold, and three more briefs",
                preheader="The day's essential briefs.",
                intro="<p>Good morning. Five briefs, five minutes.</p>",
            )
            for position, article in enumerate(latest):
                item = EditionItem.objects.create(
                    edition=edition,
                    article=article,
                    position=position,
                    all_sections=False,
                )
                item.sections.set(article.sections.order_by("position")[:3])
            editions[label].append(edition.pk)
    out(json.dumps(editions))


def step_limit(edition_id: int, count: int) -> None:
    """Pre-built bytes over one smtplib connection, `count` times."""
    edition = Edition.objects.select_related("newsletter").get(pk=edition_id)
    starting.freeze(edition)
    prepared = mime.PreparedEdition.for_edition(edition)
    to_addr, raw = prepared.personalise(
        delivery_id=1, subscriber_id=1, address="reader0@example.com"
    )
    options = settings.MAILERS["bulk"]["OPTIONS"]
    smtp = smtplib.SMTP(options["host"], options["port"], timeout=20)
    smtp.ehlo()
    started = time.perf_counter()
    cpu = time.process_time()
    for _ in range(count):
        smtp.sendmail(prepared.envelope_from, [to_addr], raw)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    smtp.quit()
    out(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_us": cpu / count * 1e6,
                "bytes": len(raw),
                "personalise_us": personalise_cpu(edition, prepared),
            }
        )
    )


def personalise_cpu(edition, tracked) -> dict:
    """CPU per reader of building their message, with the edition's links
    tracked and with the same edition untracked: the cost tracking adds to
    each message, measured in CPU time (a busy machine slows wall-clock
    rates, not this much)."""
    subject, text, html = compose.render(edition.snapshot, mime.placeholder_links())
    untracked = mime.PreparedEdition(edition, subject=subject, text=text, html=html)
    timings = {}
    for label, prepared in (("tracked", tracked), ("untracked", untracked)):
        best = None
        for _ in range(3):
            cpu = time.process_time()
            for reader in range(1, 5001):
                prepared.personalise(
                    delivery_id=reader, subscriber_id=reader, address="r@example.com"
                )
            spent = (time.process_time() - cpu) / 5000 * 1e6
            best = spent if best is None else min(best, spent)
        timings[label] = best
    return timings


def step_start(edition_id: int) -> None:
    tasks.start(edition_id)


def step_result(edition_id: int) -> None:
    edition = Edition.objects.get(pk=edition_id)
    span = Delivery.objects.filter(edition=edition, status="sent").aggregate(
        first=Min("sent_at"), last=Max("sent_at")
    )
    out(
        json.dumps(
            {
                "status": edition.status,
                "sent": edition.sent_count,
                "failed": edition.failed_count,
                "recipients": edition.recipients_count,
                "span": (span["last"] - span["first"]).total_seconds()
                if span["first"]
                else 0,
            }
        )
    )


def step_click_paths(edition_id: int, count: int) -> None:
    """Genuine click paths of `count` readers of the edition, links in turn."""
    links = list(
        TrackedLink.objects.filter(edition_id=edition_id).values_list(
            "position", flat=True
        )
    )
    readers = Delivery.objects.filter(edition_id=edition_id).values_list(
        "subscriber_id", flat=True
    )[:count]
    paths = [
        reverse(
            "newsletter_click",
            kwargs={
                "token": tracking.click_token(edition_id, links[i % len(links)], reader)
            },
        )
        for i, reader in enumerate(readers)
        if links
    ]
    out(json.dumps({"paths": paths, "links": len(links)}))


def step_clicks_recorded(edition_id: int) -> None:
    out(json.dumps({"clicks": Click.objects.filter(edition_id=edition_id).count()}))


def step_prepare_cli(argv):
    step_prepare(int(argv[0]), int(argv[1]), int(argv[2]), briefs=6)


def step_limit_cli(argv):
    step_limit(int(argv[0]), int(argv[1]))


def step_start_cli(argv):
    step_start(int(argv[0]))


def step_result_cli(argv):
    step_result(int(argv[0]))


def main(argv: list[str]) -> None:
    steps = {
        "_prepare": step_prepare_cli,
        "_limit": step_limit_cli,
        "_start": step_start_cli,
        "_result": step_result_cli,
        "_click_paths": lambda a: step_click_paths(int(a[0]), int(a[1])),
        "_clicks_recorded": lambda a: step_clicks_recorded(int(a[0])),
    }
    steps[argv[0]](argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
