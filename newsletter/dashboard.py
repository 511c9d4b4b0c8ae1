"""The desk's newsletter panels: the last sends and this week's signups."""

from datetime import timedelta
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from newsletter.models import Edition, Subscriber, Subscription
from newsroom.dashboard import ROWS, Panel, Row


def _sends(request) -> Panel:
    sends = (
        Edition.objects.filter(status__in=[Edition.Status.SENDING, Edition.Status.SENT])
        .select_related("newsletter")
        .order_by("-started_at", "-pk")
    )
    rows = []
    for edition in sends[:ROWS]:
        figures = f"{edition.sent_count:,} of {edition.recipients_count:,} delivered"
        if edition.failed_count:
            figures += f", {edition.failed_count:,} failed"
        started = timezone.localtime(edition.started_at) if edition.started_at else None
        when = date_format(started, "j M, H:i") if started else ""
        rows.append(
            Row(
                edition.subject,
                reverse("admin:newsletter_edition_change", args=[edition.pk]),
                " · ".join(filter(None, [edition.newsletter.name, when, figures])),
                badge=(
                    "Paused"  # the relay refused it: someone must look
                    if edition.is_blocked
                    else "Sending"
                    if edition.status == Edition.Status.SENDING
                    else ""
                ),
            )
        )
    return Panel(
        "Last sends",
        reverse("admin:newsletter_edition_changelist") + "?status__exact=sent",
        sends.count(),
        rows,
        empty="No edition has been sent yet.",
    )


def _signups(request) -> Panel:
    # The same bounds as the subscriber list's "Past 7 days" date filter, so
    # the link shows exactly the readers counted here.
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    since, until = today - timedelta(days=7), today + timedelta(days=1)
    new = Subscriber.objects.filter(created_at__gte=since, created_at__lt=until)
    statuses = Subscription.Status
    count = new.filter(subscriptions__status=statuses.CONFIRMED).distinct().count()
    waiting = (
        new.filter(subscriptions__status=statuses.PENDING)
        .exclude(subscriptions__status=statuses.CONFIRMED)
        .distinct()
        .count()
    )
    query = urlencode({"created_at__gte": str(since), "created_at__lt": str(until)})
    return Panel(
        "Signups this week",
        f"{reverse('admin:newsletter_subscriber_changelist')}?{query}",
        count,
        figure=f"{count:,}",
        note=f"confirmed in the last 7 days; {waiting:,} waiting to confirm",
    )


def panels(request) -> list[Panel]:
    found = []
    if request.user.has_perm("newsletter.view_edition"):
        found.append(_sends(request))
    if request.user.has_perm("newsletter.view_subscriber"):
        found.append(_signups(request))
    return found
