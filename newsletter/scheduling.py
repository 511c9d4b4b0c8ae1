"""Scheduling an edition to go out later, and cancelling that."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from newsletter import compose, tasks
from newsletter.models import Edition
from newsletter.starting import EditionEmpty


class ScheduleError(Exception):
    """Why an edition cannot be scheduled or sent now, in words for the editor."""


def schedule(edition, when) -> None:
    """Send the edition at `when`: a deferred task starts it then, unless
    the time was changed or cancelled meanwhile (tasks.start_edition)."""
    if not edition.is_editable:
        raise ScheduleError(
            f"This edition is {edition.get_status_display().lower()}; it cannot be "
            "scheduled again."
        )
    if when <= timezone.now():
        raise ScheduleError("Choose a time in the future, or use “Send now”.")
    if not tasks.start_edition.get_backend().supports_defer:
        raise ScheduleError(
            "The task backend in use cannot run tasks later (TASKS_BACKEND="
            f"{settings.TASKS_BACKEND}); use the db or rq backend to schedule."
        )
    if not compose.published_items(edition):
        raise EditionEmpty("Add at least one brief before scheduling.")
    with transaction.atomic():
        Edition.objects.filter(pk=edition.pk).update(
            status=Edition.Status.SCHEDULED, scheduled_at=when
        )
        edition.refresh_from_db()
        stamp = edition.scheduled_at.isoformat()
        transaction.on_commit(
            lambda: tasks.start_edition.using(run_after=when).enqueue(edition.pk, stamp)
        )


def unschedule(edition) -> None:
    Edition.objects.filter(pk=edition.pk, status=Edition.Status.SCHEDULED).update(
        status=Edition.Status.DRAFT, scheduled_at=None
    )
    edition.refresh_from_db()
