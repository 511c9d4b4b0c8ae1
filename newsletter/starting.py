"""Turning an edition into a send: render it once and list who gets it.

Both happen in the transaction that marks the edition as sending, so a
send never starts with half an audience; tasks.start queues the batches
once it commits.
"""

from django.db import connection, transaction
from django.utils import timezone

from newsletter import compose, tracking
from newsletter.mime import placeholder_links
from newsletter.models import Delivery, Edition, Subscriber, Subscription, Suppression

D = Delivery.Status


class EditionEmpty(Exception):
    """The edition has no published brief to send."""


def freeze(edition) -> None:
    """Render the edition once and keep the result on the row."""
    snapshot = compose.build_snapshot(edition)
    if not snapshot["items"]:
        raise EditionEmpty("This edition has no published brief in it.")
    subject, text, html = compose.render(snapshot, placeholder_links())
    snapshot["rendered_subject"] = subject
    newsletter = edition.newsletter
    snapshot["tracking"] = {
        "clicks": newsletter.track_clicks,
        "opens": newsletter.track_opens,
    }
    text, html = tracking.rewrite(
        edition,
        snapshot,
        text,
        html,
        clicks=newsletter.track_clicks,
        opens=newsletter.track_opens,
    )
    edition.snapshot = snapshot
    edition.rendered_text = text
    edition.rendered_html = html


def snapshot_audience(edition) -> int:
    """One pending row per confirmed subscriber not on the suppression list,
    in one statement (no rows in Python)."""
    delivery = Delivery._meta.db_table
    subscription = Subscription._meta.db_table
    subscriber = Subscriber._meta.db_table
    suppressed = Suppression._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {delivery} "
            "(edition_id, subscriber_id, status, attempts, next_attempt_at, "
            "claimed_by, last_error, message_id, bounce_type) "
            f"SELECT %s, subscriber_id, %s, 0, %s, '', '', '', '' FROM {subscription} "
            "WHERE newsletter_id = %s AND status = %s "
            f"AND subscriber_id NOT IN (SELECT r.id FROM {subscriber} r "
            f"INNER JOIN {suppressed} x ON x.address = r.email) "
            "ON CONFLICT DO NOTHING",
            [
                edition.pk,
                D.PENDING,
                now,
                edition.newsletter_id,
                Subscription.Status.CONFIRMED,
            ],
        )
    return Delivery.objects.filter(edition=edition).count()


def begin(edition_id: int) -> tuple[Edition, bool]:
    """Freeze the edition and snapshot its audience; (edition, True) if this
    call started it, (edition, False) if it was already under way or done."""
    with transaction.atomic():
        edition = (
            Edition.objects.select_for_update()
            .select_related("newsletter")
            .get(pk=edition_id)
        )
        if edition.status not in (Edition.Status.DRAFT, Edition.Status.SCHEDULED):
            return edition, False
        freeze(edition)
        edition.status = Edition.Status.SENDING
        edition.started_at = timezone.now()
        edition.save()
        edition.recipients_count = snapshot_audience(edition)
        edition.save(update_fields=["recipients_count"])
    return edition, True
