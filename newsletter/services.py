"""What happens to subscriptions: signup, confirm, unsubscribe, preferences.

Views, the admin and the CSV import call these (leaving a list is in
leaving.py, which sending a bounce needs too); each is one transaction,
records its consent event, and queues its email only once the transaction
commits (a worker must never look for a row that is not there yet).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from newsletter import suppression, tasks
from newsletter.leaving import LEFT, unsubscribe
from newsletter.models import (
    Edition,
    Newsletter,
    Subscriber,
    Subscription,
    SubscriptionEvent,
    normalize_email,
)

Status = Subscription.Status
Kind = SubscriptionEvent.Kind


@dataclass
class SignupOutcome:
    subscriber: Subscriber
    pending: list[Newsletter] = field(default_factory=list)
    already: list[Newsletter] = field(default_factory=list)
    mail: str = ""  # "confirmation", "notice" or "" when throttled
    suppressed: bool = False  # on the suppression list: nothing done, no mail


def record(subscription, kind, source="", detail="", at=None, edition=None):
    """A consent event with no status change (see Subscription.move_to)."""
    return subscription.log(kind, source=source, detail=detail, at=at, edition=edition)


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

    An address on the suppression list (it bounced, marked our mail as spam,
    or was blocked) gets nothing: no row, no mail. An erased person's own
    signup is fresh consent and goes ahead (newsletter/suppression.py).
    """
    if suppression.blocks_signup(email):
        subscriber = Subscriber.objects.filter(email=normalize_email(email)).first()
        return SignupOutcome(
            subscriber=subscriber or Subscriber(email=email), suppressed=True
        )
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
            elif subscription.status in LEFT:
                subscription.move_to(
                    Status.PENDING,
                    source=source,
                    detail=source_url,
                    at=now,
                    consent_source=source,
                    consent_url=source_url,
                )
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
    with transaction.atomic():
        pending = list(
            Subscription.objects.select_for_update()
            .filter(subscriber=subscriber, status=Status.PENDING)
            .select_related("newsletter")
        )
        now = timezone.now()
        for subscription in pending:
            subscription.move_to(Status.CONFIRMED, source=source, at=now)
        if pending:
            # A confirmed link proves the inbox works and wants our mail: a
            # bounce or complaint on the list is over (a block by hand stays).
            suppression.lift_on_confirmation(subscriber.email)
            ids = [s.newsletter_id for s in pending]
            transaction.on_commit(
                lambda: tasks.send_welcome.enqueue(subscriber.pk, ids)
            )
    return [s.newsletter for s in pending]


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
                    record(subscription, Kind.CONFIRMED, source)
                elif subscription.status == Status.CONFIRMED:
                    continue
                else:
                    fresh = needs_fresh_opt_in(subscription)
                    target = Status.PENDING if fresh else Status.CONFIRMED
                    if subscription.status != target:
                        subscription.move_to(
                            target,
                            source=source,
                            at=now,
                            consent_source=Subscription.Source.PREFERENCES,
                            consent_url="",
                        )
                    if fresh:
                        changed["to_confirm"].append(newsletter)
                        continue
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
