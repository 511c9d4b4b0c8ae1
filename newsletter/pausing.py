"""Pausing a send, and lifting the pause.

The breaker (breaker.py) pauses a send when a run of failures share one
reason that is ours, not the readers' (a relay refusing us, a sender it
will not take); so does a sender address that cannot be used. Every
undelivered row stays due. A person fixes the cause and resumes it: the
admin's button or `send_edition --resume`, through tasks.resume.
"""

import logging

from django.db import transaction
from django.utils import timezone

from newsletter.models import Delivery, Edition

# One logger for everything an operator must hear about a send (alerts
# filter on it), whichever module it comes from.
logger = logging.getLogger("newsletter.sending")


def is_paused(edition_id: int) -> bool:
    return Edition.objects.filter(pk=edition_id, blocked_at__isnull=False).exists()


def pause(edition_id: int, *, reason: str, reply: str, check: str) -> bool:
    """Stop sending the edition until someone resumes it, and say why.

    Called by the breaker (and for an unusable sender). Every undelivered
    row stays due; the admin shows the reply and what to check."""
    paused = Edition.objects.filter(
        pk=edition_id, status=Edition.Status.SENDING, blocked_at__isnull=True
    ).update(
        blocked_at=timezone.now(),
        blocked_check=check[:300],
        blocked_reason=reason[:64],
        blocked_reply=reply[:2000],
        failure_run=0,
        failure_reason="",
        wakeup_at=None,
    )
    if paused:
        logger.error(
            "Edition %s paused: %s The server replied: %s. Nothing was given up "
            "and nobody was unsubscribed; fix the cause, then resume it from the "
            "admin or with `manage.py send_edition --resume %s`.",
            edition_id,
            check,
            reply,
            edition_id,
        )
    return bool(paused)


def lift(edition_id: int, *, by: str = "") -> bool:
    """Take the pause off: every waiting row is due at once. False if the
    edition is not paused. Its batches are queued by the caller (tasks.resume)."""
    now = timezone.now()
    with transaction.atomic():
        edition = (
            Edition.objects.select_for_update()
            .filter(pk=edition_id, status=Edition.Status.SENDING)
            .exclude(blocked_at=None)
            .first()
        )
        if edition is None:
            return False
        Edition.objects.filter(pk=edition_id).update(
            blocked_at=None,
            blocked_check="",
            blocked_reason="",
            blocked_reply="",
            failure_run=0,
            failure_reason="",
            wakeup_at=None,
        )
        Delivery.objects.filter(
            edition_id=edition_id,
            status=Delivery.Status.PENDING,
            next_attempt_at__gt=now,
        ).update(next_attempt_at=now)
    logger.warning(
        "Edition %s resumed%s after a pause since %s (%s)",
        edition_id,
        f" by {by}" if by else "",
        edition.blocked_at.isoformat(),
        edition.blocked_reply,
    )
    return True
