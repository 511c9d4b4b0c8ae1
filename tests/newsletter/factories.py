"""Newsletter rows for tests. Each helper takes overrides as kwargs."""

import itertools

from django.utils import timezone

from newsletter.models import (
    Edition,
    EditionItem,
    Newsletter,
    Subscriber,
    Subscription,
)

_seq = itertools.count(1)


def make_newsletter(**kwargs) -> Newsletter:
    n = next(_seq)
    kwargs.setdefault("name", f"Newsletter {n}")
    kwargs.setdefault("slug", f"newsletter-{n}")
    return Newsletter.objects.create(**kwargs)


def default_newsletter() -> Newsletter:
    """The list the initial migration creates, made again if a transactional
    test flushed it."""
    return Newsletter.get_default() or make_newsletter(
        name="The Daily Brief", slug="daily", is_default=True
    )


def make_subscriber(
    email: str | None = None,
    *,
    newsletters=(),
    status=Subscription.Status.CONFIRMED,
    **kwargs,
) -> Subscriber:
    email = email or f"reader{next(_seq)}@example.com"
    subscriber = Subscriber.objects.create(email=email, **kwargs)
    now = timezone.now()
    for newsletter in newsletters:
        Subscription.objects.create(
            subscriber=subscriber,
            newsletter=newsletter,
            status=status,
            confirmed_at=now if status == Subscription.Status.CONFIRMED else None,
            source=Subscription.Source.ADMIN,
        )
    return subscriber


def make_audience(newsletter: Newsletter, count: int, *, domain="example.com"):
    """`count` confirmed subscribers of `newsletter`, created in bulk."""
    start = next(_seq) * 100_000
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(email=f"r{start + i}@{domain}") for i in range(count)
    )
    now = timezone.now()
    Subscription.objects.bulk_create(
        Subscription(
            subscriber=s,
            newsletter=newsletter,
            status=Subscription.Status.CONFIRMED,
            confirmed_at=now,
        )
        for s in subscribers
    )
    return subscribers


def make_edition(newsletter: Newsletter, briefs=(), **kwargs) -> Edition:
    n = next(_seq)
    kwargs.setdefault("subject", f"Edition {n}: the day in briefs")
    edition = Edition.objects.create(newsletter=newsletter, **kwargs)
    for position, article in enumerate(briefs):
        EditionItem.objects.create(edition=edition, article=article, position=position)
    return edition
