"""The suppression list: who must not be mailed, and what bounces, complaints
and deliveries reported by a provider do to the ledger and to subscriptions.

An address is suppressed for a hard bounce, for too many soft bounces in a
row (NEWSLETTER_SOFT_BOUNCE_LIMIT), for a spam complaint, for an erasure
(a keyed hash only, see `address_hash`) or by hand in the admin. Edition
audiences skip suppressed addresses; signups, imports and the admin refuse
them (each saying so in its own words).

A hard bounce or a complaint also moves the person's open subscriptions to
"bounced" or "marked as spam", each with its event in the consent log naming
the edition when we know it, and skips what was still waiting to be sent to
them. A manual block changes no subscription: lifting it lets them receive
their lists again.
"""

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Max, Q, Value, When
from django.utils import timezone

from newsletter.models import (
    Delivery,
    Edition,
    Subscriber,
    Subscription,
    Suppression,
    normalize_email,
)
from newsletter.privacy import is_erased

logger = logging.getLogger(__name__)

R = Suppression.Reason
Status = Subscription.Status

HARD, SOFT = "hard", "soft"

# What each reason does to the person's open subscriptions.
_CLOSES = {
    R.HARD_BOUNCE: Status.BOUNCED,
    R.SOFT_BOUNCES: Status.BOUNCED,
    R.COMPLAINT: Status.COMPLAINED,
}


def address_hash(address: str, key: str | None = None) -> str:
    """A keyed hash of the normalised address: equal for the same address,
    and without SECRET_KEY nobody can test guesses against it."""
    key = settings.SECRET_KEY if key is None else key
    return hmac.new(
        key.encode(), normalize_email(address).encode(), hashlib.sha256
    ).hexdigest()


def _hashes(address: str) -> list[str]:
    # Rows hashed before a key rotation still match while the old key is a
    # fallback (SECRET_KEY_FALLBACKS).
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [address_hash(address, key) for key in keys]


def _rows(address: str):
    address = normalize_email(address)
    if not address:
        return Suppression.objects.none()
    return Suppression.objects.filter(
        Q(address=address) | Q(address_hash__in=_hashes(address))
    )


def find(address: str) -> Suppression | None:
    """The suppression that stops mail to `address`, if any (an erasure's
    last: any other reason says more)."""
    return (
        _rows(address)
        .order_by(Case(When(reason=R.ERASED, then=Value(1)), default=Value(0)), "pk")
        .first()
    )


def is_suppressed(address: str) -> bool:
    return find(address) is not None


def blocks_signup(address: str) -> bool:
    """Whether a signup of `address` must be ignored. Every reason does,
    except an erasure: a person who had us forget them and now signs up
    again (and confirms) gives fresh consent."""
    return _rows(address).exclude(reason=R.ERASED).exists()


ON_THE_LIST = "On the suppression list"


def explain(suppression: Suppression) -> str:
    """Why we do not mail this address, for the people running the list."""
    when = f"{suppression.created_at:%Y-%m-%d}"
    return {
        R.HARD_BOUNCE: f"{ON_THE_LIST}: the mailbox does not exist "
        f"(hard bounce on {when}).",
        R.SOFT_BOUNCES: f"{ON_THE_LIST}: mail to it kept failing "
        f"(soft bounces, the last on {when}).",
        R.COMPLAINT: f"{ON_THE_LIST}: it marked our mail as spam on {when}.",
        R.ERASED: f"{ON_THE_LIST}: this person had their data erased; only "
        "they can sign up again, through the form.",
        R.BLOCKED: f"{ON_THE_LIST}: blocked by hand on {when}.",
    }[suppression.reason]


def suppress(
    address: str,
    reason: str,
    *,
    detail: str = "",
    source: str = "",
    edition: Edition | None = None,
    at: datetime | None = None,
) -> tuple[Suppression, bool]:
    """Put `address` on the list (once: a second report keeps the first row).

    Closes the person's open subscriptions for bounces and complaints, and
    skips what is still waiting to be sent to them. Returns (row, created).
    """
    address = normalize_email(address)
    at = at or timezone.now()
    with transaction.atomic():
        existing = Suppression.objects.filter(address=address).first()
        if existing is not None:
            created = False
            row = existing
        else:
            try:
                with transaction.atomic():
                    row = Suppression.objects.create(
                        address=address,
                        reason=reason,
                        detail=detail[:300],
                        source=source[:60],
                        edition=edition,
                        created_at=at,
                    )
                created = True
            except IntegrityError:  # a concurrent report of the same address
                row = Suppression.objects.get(address=address)
                created = False
        subscriber = Subscriber.objects.filter(email=address).first()
        if subscriber is not None:
            status = _CLOSES.get(reason)
            if status is not None:
                _close_subscriptions(
                    subscriber,
                    status,
                    source=source,
                    detail=detail,
                    edition=edition,
                    at=at,
                )
            _skip_waiting(subscriber)
    if created:
        logger.info("Suppressed an address: %s (%s)", row.get_reason_display(), source)
    return row, created


def _close_subscriptions(subscriber, status, *, source, detail, edition, at):
    for subscription in Subscription.objects.select_for_update().filter(
        subscriber=subscriber, status__in=[Status.PENDING, Status.CONFIRMED]
    ):
        subscription.move_to(
            status, source=source[:40], detail=detail, at=at, edition=edition
        )


def _skip_waiting(subscriber) -> int:
    return Delivery.objects.filter(
        subscriber=subscriber,
        status=Delivery.Status.PENDING,
        edition__status=Edition.Status.SENDING,
    ).update(
        status=Delivery.Status.SKIPPED,
        last_error="On the suppression list before its turn came.",
    )


def forget(address: str, *, source: str = "erasure") -> None:
    """An erasure: the address's suppressions (bounces, complaints, blocks)
    are forgotten with the rest of the person, and one entry stays that holds
    only a keyed hash of the address, so an old spreadsheet cannot import the
    person again. Their own signup later is fresh consent (blocks_signup)."""
    address = normalize_email(address)
    if not address:
        return
    digest = address_hash(address)
    with transaction.atomic():
        Suppression.objects.filter(address=address).delete()
        if not Suppression.objects.filter(address_hash=digest).exists():
            Suppression.objects.create(
                address="", address_hash=digest, reason=R.ERASED, source=source
            )


def lift(suppression: Suppression, *, by: str) -> None:
    """Take an address off the list (the admin's delete); logged, since the
    row itself goes. Subscriptions stay as they are: a bounced or complained
    reader comes back through a fresh confirmation."""
    logger.warning(
        "Suppression lifted by %s: %s since %s (%s)",
        by or "someone",
        suppression.get_reason_display(),
        f"{suppression.created_at:%Y-%m-%d}",
        suppression.source,
    )
    suppression.delete()


def lift_on_confirmation(address: str) -> int:
    """The reader confirmed a subscription (through a link mailed to this
    address, so the inbox works and wants our mail): lift its bounces and
    complaints. A manual block stays until a person lifts it."""
    rows = list(
        Suppression.objects.filter(
            address=normalize_email(address),
            reason__in=[R.HARD_BOUNCE, R.SOFT_BOUNCES, R.COMPLAINT],
        )
    )
    for row in rows:
        lift(row, by="the reader, confirming a subscription")
    return len(rows)


# Provider reports -------------------------------------------------------


@dataclass
class Outcome:
    """What one provider event is, reduced to what we act on."""

    kind: str  # "delivered", "hard", "soft", "complaint" or "" (ignored)
    detail: str = ""


def soft_bounces_in_a_row(subscriber_id: int) -> int:
    """Soft-bounced messages to this reader since a message of ours was last
    confirmed delivered to them (or ever, if none was)."""
    rows = Delivery.objects.filter(subscriber_id=subscriber_id)
    last_delivered = rows.aggregate(last=Max("delivered_at"))["last"]
    soft = rows.filter(bounce_type=SOFT)
    if last_delivered is not None:
        soft = soft.filter(bounced_at__gt=last_delivered)
    return soft.count()


def record(
    outcome: Outcome,
    *,
    delivery: Delivery | None,
    recipient: str,
    at: datetime,
    source: str,
) -> None:
    """Apply a provider's report to the ledger row and the suppression list.

    Idempotent: providers retry webhooks, and a repeated report changes
    nothing more (each field is set once, a suppression is made once).
    """
    if not outcome.kind:
        return
    with transaction.atomic():
        if delivery is not None:
            rows = Delivery.objects.filter(pk=delivery.pk)
            if outcome.kind == "delivered":
                rows.filter(delivered_at=None).update(delivered_at=at)
            elif outcome.kind == HARD:
                rows.exclude(bounce_type=HARD).update(bounced_at=at, bounce_type=HARD)
            elif outcome.kind == SOFT:
                # A later hard bounce wins; a soft one never hides a hard one.
                rows.filter(bounce_type="").update(bounced_at=at, bounce_type=SOFT)
            elif outcome.kind == "complaint":
                rows.filter(complained_at=None).update(complained_at=at)
        if outcome.kind == "delivered":
            return
        subscriber = delivery.subscriber if delivery is not None else None
        if subscriber is not None:
            if is_erased(subscriber):
                # The person is gone; their address must not come back here.
                return
            address = subscriber.email
        else:
            address = normalize_email(recipient)
        if not address:
            return
        reason = {HARD: R.HARD_BOUNCE, "complaint": R.COMPLAINT}.get(outcome.kind)
        detail = outcome.detail
        if outcome.kind == SOFT and subscriber is not None:
            limit = settings.NEWSLETTER["SOFT_BOUNCE_LIMIT"]
            count = soft_bounces_in_a_row(subscriber.pk)
            if limit and count >= limit:
                reason = R.SOFT_BOUNCES
                detail = f"{count} soft bounces in a row; the last: {detail}"
        if reason:
            suppress(
                address,
                reason,
                detail=detail,
                source=source,
                edition=delivery.edition if delivery is not None else None,
                at=at,
            )
