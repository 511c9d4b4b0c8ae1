"""Leaving a list: by the reader, by the admin, or because mail to them bounced.

Apart from services.py because the sender (sending.py) calls it for a
mailbox that is gone, and must not depend on what queues mail.
"""

from django.db import transaction
from django.utils import timezone

from newsletter.models import Delivery, Edition, Newsletter, Subscriber, Subscription

Status = Subscription.Status

# The ways a subscription ends; coming back from any needs a fresh opt-in.
LEFT = (Status.UNSUBSCRIBED, Status.BOUNCED, Status.COMPLAINED)


def unsubscribe(
    subscriber: Subscriber,
    newsletter: Newsletter | None = None,
    *,
    source: str,
    status: str = Status.UNSUBSCRIBED,
    edition: Edition | None = None,
) -> list[Newsletter]:
    """Leave one list, or every list when `newsletter` is None. Idempotent.

    Deliveries still waiting for this person are skipped in the same
    transaction, and the sender re-checks before each message, so an
    unsubscribe that lands mid-send stops the mail.
    """
    if status not in LEFT:
        raise ValueError(f"{status!r} is not a way to leave a list.")
    with transaction.atomic():
        subscriptions = Subscription.objects.select_for_update().filter(
            subscriber=subscriber, status__in=[Status.PENDING, Status.CONFIRMED]
        )
        if newsletter is not None:
            subscriptions = subscriptions.filter(newsletter=newsletter)
        left = list(subscriptions.select_related("newsletter"))
        now = timezone.now()
        for subscription in left:
            subscription.move_to(status, source=source, at=now, edition=edition)
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
