"""A subscriber's own data: everything we hold about them, and its erasure.

`personal_data` answers a data-access request: the address, every
subscription with its consent history, every edition sent to them, and the
links they followed and editions they opened (newsletter/tracking.py).

`erase` answers an erasure request without rewriting history: the person
goes (address, name, the pages they signed up on, SMTP replies quoting their
address, their rows in import reports, their name in the admin's log), but
the anonymous facts stay, so an edition's ledger still adds up and the
daily activity chart still counts the signup. Their clicks and opens are
deleted (an edition's figures lose them), and their old links record nothing. An erased row can never be
mailed again: its subscriptions are closed and its address is on the
reserved `.invalid` domain. The address itself is kept only as a keyed hash
on the suppression list (newsletter/suppression.py `forget`), so that an
old spreadsheet cannot import the person again.
"""

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Subquery, Value
from django.utils import timezone

from newsletter import leaving
from newsletter.models import (
    Click,
    Delivery,
    Open,
    Subscriber,
    SubscriberImport,
    Subscription,
    SubscriptionEvent,
    Suppression,
)

ERASED_DOMAIN = "erased.invalid"


def _iso(value):
    return value.isoformat() if value else None


def personal_data(subscriber: Subscriber) -> dict:
    """Everything stored about `subscriber`, as plain JSON-ready data."""
    # The address's suppression (if any) rides on this query: a data export
    # of many readers stays a fixed number of queries per reader.
    held = Suppression.objects.filter(address=subscriber.email).order_by("pk")
    subscriptions = list(
        subscriber.subscriptions.select_related("newsletter")
        .annotate(
            **{
                f"suppression_{name}": Subquery(held.values(name)[:1])
                for name in ("reason", "detail", "source", "created_at")
            }
        )
        .order_by("created_at", "pk")
    )
    events = {}
    for event in SubscriptionEvent.objects.filter(
        subscription__subscriber=subscriber
    ).order_by("created_at", "pk"):
        events.setdefault(event.subscription_id, []).append(
            {
                "what": event.kind,
                "source": event.source,
                "detail": event.detail,
                "at": _iso(event.created_at),
            }
        )
    deliveries = (
        Delivery.objects.filter(subscriber=subscriber)
        .select_related("edition__newsletter")
        .order_by("pk")
    )
    # Clicks and first opens (newsletter/tracking.py), in one query.
    followed = sorted(
        Click.objects.filter(subscriber=subscriber)
        .order_by()
        .values_list(Value("click"), "edition__subject", "link__url", "at")
        .union(
            Open.objects.filter(subscriber=subscriber)
            .order_by()
            .values_list(Value("open"), "edition__subject", Value(""), "at"),
            all=True,
        )
        .order_by(),
        key=lambda row: row[3],
    )
    return {
        "email": subscriber.email,
        "name": subscriber.name,
        "created_at": _iso(subscriber.created_at),
        "updated_at": _iso(subscriber.updated_at),
        "last_request_mail_at": _iso(subscriber.last_request_mail_at),
        "subscriptions": [
            {
                "newsletter": s.newsletter.name,
                "status": s.status,
                "consent_source": s.source,
                "consent_page": s.source_url,
                "created_at": _iso(s.created_at),
                "confirmed_at": _iso(s.confirmed_at),
                "unsubscribed_at": _iso(s.unsubscribed_at),
                "history": events.get(s.pk, []),
            }
            for s in subscriptions
        ],
        "suppressed": [
            {
                "reason": s.suppression_reason,
                "detail": s.suppression_detail,
                "source": s.suppression_source,
                "since": _iso(s.suppression_created_at),
            }
            for s in subscriptions[:1]
            if s.suppression_reason
        ],
        "editions_sent": [
            {
                "newsletter": d.edition.newsletter.name,
                "subject": d.edition.subject,
                "status": d.status,
                "sent_at": _iso(d.sent_at),
                "attempts": d.attempts,
                "smtp_reply": d.last_error,
            }
            for d in deliveries
        ],
        "clicks": [
            {"edition": subject, "link": url, "at": _iso(at)}
            for kind, subject, url, at in followed
            if kind == "click"
        ],
        "opens": [
            {"edition": subject, "first_opened_at": _iso(at)}
            for kind, subject, url, at in followed
            if kind == "open"
        ],
    }


def erased_address(subscriber_id: int) -> str:
    return f"erased-{subscriber_id}@{ERASED_DOMAIN}"


def is_erased(subscriber: Subscriber) -> bool:
    return subscriber.email.endswith(f"@{ERASED_DOMAIN}")


def erase(subscriber: Subscriber, *, by: str = "") -> None:
    """Remove the person from `subscriber`, keep the anonymous history."""
    # Imported here, not at the top: the suppression list asks this module
    # whether a reader was erased, so a top-level import would be a cycle.
    from newsletter import suppression

    address = subscriber.email
    anonymous = erased_address(subscriber.pk)
    with transaction.atomic():
        # Only a keyed hash of the address stays, on the suppression list:
        # enough to refuse it in a later import, not enough to read it.
        if not is_erased(subscriber):
            suppression.forget(address)
        # Closes every subscription (logged) and skips mail still waiting.
        leaving.unsubscribe(
            subscriber, None, source=f"erasure ({by})" if by else "erasure"
        )
        Subscriber.objects.filter(pk=subscriber.pk).update(
            email=anonymous,
            name="",
            last_request_mail_at=None,
            updated_at=timezone.now(),
        )
        Subscription.objects.filter(subscriber=subscriber).update(source_url="")
        # What they read and followed is theirs: it goes, not anonymised.
        Click.objects.filter(subscriber=subscriber).delete()
        Open.objects.filter(subscriber=subscriber).delete()
        SubscriptionEvent.objects.filter(subscription__subscriber=subscriber).update(
            detail=""
        )
        # SMTP replies often quote the address ("<ada@…>: no such user").
        Delivery.objects.filter(subscriber=subscriber).exclude(last_error="").update(
            last_error="[erased]"
        )
        # Import reports list refused rows; an import still queued holds the file.
        for job in SubscriberImport.objects.filter(report__icontains=address):
            job.report = [
                item
                for item in job.report
                if address not in str(item.get("email", "")).lower()
            ]
            job.save(update_fields=["report"])
        for job in SubscriberImport.objects.filter(data__icontains=address):
            job.data = "\n".join(
                line for line in job.data.splitlines() if address not in line.lower()
            )
            job.save(update_fields=["data"])
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Subscriber),
            object_id=str(subscriber.pk),
        ).update(object_repr=anonymous)
    subscriber.refresh_from_db()
