"""What happens to subscriptions: signup, confirm, unsubscribe, preferences.

Views, the admin and the CSV import call these; each is one transaction,
records its consent event, and queues its email only once the transaction
commits (a worker must never look for a row that is not there yet).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from newsletter.models import (
    Delivery,
    Edition,
    Newsletter,
    Subscriber,
    Subscription,
    SubscriptionEvent,
)

Status = Subscription.Status
Kind = SubscriptionEvent.Kind

# Coming back from any of these needs a fresh double opt-in.
_LEFT = (Status.UNSUBSCRIBED, Status.BOUNCED, Status.COMPLAINED)


@dataclass
class SignupOutcome:
    subscriber: Subscriber
    pending: list[Newsletter] = field(default_factory=list)
    already: list[Newsletter] = field(default_factory=list)
    mail: str = ""  # "confirmation", "notice" or "" when throttled


def record(subscription, kind, source="", detail="", at=None, edition=None):
    return SubscriptionEvent.objects.create(
        subscription=subscription,
        kind=kind,
        source=source,
        detail=detail[:300],
        created_at=at or timezone.now(),
        edition=edition,
    )


def _claim_request_mail(subscriber: Subscriber) -> bool:
    """True for the one caller allowed to mail this subscriber now.

    A conditional UPDATE, so two signups racing for the same address send
    one message, and a stranger repeating the form cannot flood an inbox.
    """
    now = timezone.now()
    interval = timedelta(minutes=settings.NEWSLETTER["REQUEST_MAIL_INTERVAL_MINUTES"])
    return bool(
        Subscriber.objects.filter(pk=subscriber.pk)
        .filter(
            Q(last_request_mail_at__isnull=True)
            | Q(last_request_mail_at__lte=now - interval)
        )
        .update(last_request_mail_at=now)
    )


def signup(
    email: str,
    newsletters: list[Newsletter],
    *,
    source: str,
    source_url: str = "",
    name: str = "",
) -> SignupOutcome:
    """Ask for `newsletters`: new or lapsed subscriptions wait for confirmation.

    The caller shows the same answer whatever happened here, so nobody can
    learn from the form whether an address is on a list.
    """
    from newsletter import tasks

    with transaction.atomic():
        subscriber, _ = Subscriber.objects.get_or_create(
            email=email, defaults={"name": name[:100]}
        )
        outcome = SignupOutcome(subscriber=subscriber)
        now = timezone.now()
        for newsletter in newsletters:
            subscription, created = Subscription.objects.get_or_create(
                subscriber=subscriber,
                newsletter=newsletter,
                defaults={
                    "source": source,
                    "source_url": source_url,
                    "created_at": now,
                    "status_changed_at": now,
                },
            )
            if created:
                record(subscription, Kind.REQUESTED, source, source_url)
            elif subscription.status in _LEFT:
                subscription.status = Status.PENDING
                subscription.source = source
                subscription.source_url = source_url
                subscription.status_changed_at = now
                subscription.save(
                    update_fields=[
                        "status",
                        "source",
                        "source_url",
                        "status_changed_at",
                    ]
                )
                record(subscription, Kind.REQUESTED, source, source_url)
            if subscription.status == Status.CONFIRMED:
                outcome.already.append(newsletter)
            else:
                outcome.pending.append(newsletter)

        if (outcome.pending or outcome.already) and _claim_request_mail(subscriber):
            if outcome.pending:
                outcome.mail = "confirmation"
                transaction.on_commit(
                    lambda: tasks.send_confirmation.enqueue(subscriber.pk)
                )
            else:
                outcome.mail = "notice"
                transaction.on_commit(
                    lambda: tasks.send_already_subscribed.enqueue(subscriber.pk)
                )
    return outcome


def confirm(subscriber: Subscriber, *, source: str = "confirmation link") -> list:
    """Confirm every pending subscription of `subscriber`; send one welcome."""
    from newsletter import tasks

    with transaction.atomic():
        pending = list(
            Subscription.objects.select_for_update()
            .filter(subscriber=subscriber, status=Status.PENDING)
            .select_related("newsletter")
        )
        now = timezone.now()
        for subscription in pending:
            subscription.status = Status.CONFIRMED
            subscription.confirmed_at = now
            subscription.status_changed_at = now
            subscription.save(
                update_fields=["status", "confirmed_at", "status_changed_at"]
            )
            record(subscription, Kind.CONFIRMED, source)
        if pending:
            ids = [s.newsletter_id for s in pending]
            transaction.on_commit(
                lambda: tasks.send_welcome.enqueue(subscriber.pk, ids)
            )
    return [s.newsletter for s in pending]


def unsubscribe(
    subscriber: Subscriber,
    newsletter: Newsletter | None = None,
    *,
    source: str,
    status: str = Status.UNSUBSCRIBED,
    edition: Edition | None = None,
) -> list[Newsletter]:
    """Leave one list, or every list when `newsletter` is None. Idempotent.

    `edition`: the edition whose link (or bounce, or complaint) this came
    from, recorded with the consent event for that edition's results.

    Deliveries still waiting for this person are skipped in the same
    transaction, and the sender re-checks before each message, so an
    unsubscribe that lands mid-send stops the mail.
    """
    kind = {
        Status.UNSUBSCRIBED: Kind.UNSUBSCRIBED,
        Status.BOUNCED: Kind.BOUNCED,
        Status.COMPLAINED: Kind.COMPLAINED,
    }[status]
    with transaction.atomic():
        subscriptions = Subscription.objects.select_for_update().filter(
            subscriber=subscriber, status__in=[Status.PENDING, Status.CONFIRMED]
        )
        if newsletter is not None:
            subscriptions = subscriptions.filter(newsletter=newsletter)
        left = list(subscriptions.select_related("newsletter"))
        now = timezone.now()
        for subscription in left:
            subscription.status = status
            subscription.unsubscribed_at = now
            subscription.status_changed_at = now
            subscription.save(
                update_fields=["status", "unsubscribed_at", "status_changed_at"]
            )
            record(subscription, kind, source, edition=edition)
        deliveries = Delivery.objects.filter(
            subscriber=subscriber,
            status=Delivery.Status.PENDING,
            edition__status=Edition.Status.SENDING,
        )
        if newsletter is not None:
            deliveries = deliveries.filter(edition__newsletter=newsletter)
        deliveries.update(
            status=Delivery.Status.SKIPPED, last_error="Unsubscribed before sending."
        )
    return [s.newsletter for s in left]


def needs_fresh_opt_in(subscription: Subscription) -> bool:
    """Bounced or marked as spam since it was last confirmed.

    Such a subscription comes back only through a confirmation email: an
    old signed link proves someone once read this inbox, not that mail to it
    is wanted (or delivered) now.
    """
    if subscription.status in (Status.BOUNCED, Status.COMPLAINED):
        return True
    if subscription.status != Status.PENDING:
        return False
    last = (
        subscription.events.filter(
            kind__in=[Kind.CONFIRMED, Kind.IMPORTED, Kind.BOUNCED, Kind.COMPLAINED]
        )
        .order_by("-created_at", "-pk")
        .values_list("kind", flat=True)
        .first()
    )
    return last in (Kind.BOUNCED, Kind.COMPLAINED)


def set_preferences(
    subscriber: Subscriber,
    wanted,
    *,
    source: str = "preferences",
    edition: Edition | None = None,
):
    """Make the subscriber's public lists exactly `wanted`.

    Ticking a list here needs no second confirmation: the signed link that
    opened this page already proved the inbox is theirs. Except for a list
    that bounced or was marked as spam: it waits for the confirmation email
    sent now (at most one a day, as for signups), listed in "to_confirm".
    """
    from newsletter import tasks

    wanted_ids = {n.pk for n in wanted}
    changed = {"joined": [], "left": [], "to_confirm": []}
    with transaction.atomic():
        now = timezone.now()
        for newsletter in Newsletter.objects.filter(is_public=True):
            subscription = (
                Subscription.objects.select_for_update()
                .filter(subscriber=subscriber, newsletter=newsletter)
                .first()
            )
            if newsletter.pk in wanted_ids:
                if subscription is None:
                    subscription = Subscription.objects.create(
                        subscriber=subscriber,
                        newsletter=newsletter,
                        source=Subscription.Source.PREFERENCES,
                        status=Status.CONFIRMED,
                        confirmed_at=now,
                    )
                elif subscription.status == Status.CONFIRMED:
                    continue
                elif needs_fresh_opt_in(subscription):
                    if subscription.status != Status.PENDING:
                        subscription.status = Status.PENDING
                        subscription.status_changed_at = now
                        subscription.source = Subscription.Source.PREFERENCES
                        subscription.source_url = ""
                        subscription.save(
                            update_fields=[
                                "status",
                                "status_changed_at",
                                "source",
                                "source_url",
                            ]
                        )
                        record(subscription, Kind.REQUESTED, source)
                    changed["to_confirm"].append(newsletter)
                    continue
                else:
                    subscription.status = Status.CONFIRMED
                    subscription.confirmed_at = now
                    subscription.status_changed_at = now
                    subscription.source = Subscription.Source.PREFERENCES
                    subscription.source_url = ""
                    subscription.save()
                record(subscription, Kind.CONFIRMED, source)
                changed["joined"].append(newsletter)
            elif subscription is not None and subscription.status in (
                Status.PENDING,
                Status.CONFIRMED,
            ):
                unsubscribe(subscriber, newsletter, source=source, edition=edition)
                changed["left"].append(newsletter)
        if changed["to_confirm"] and _claim_request_mail(subscriber):
            transaction.on_commit(
                lambda: tasks.send_confirmation.enqueue(subscriber.pk)
            )
    return changed
