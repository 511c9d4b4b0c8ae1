"""Compose an edition from the latest briefs and send it, for cron.

    manage.py send_edition --latest 5                  # default newsletter
    manage.py send_edition --newsletter weekly --latest 10 --dry-run
    manage.py send_edition --resume                    # restart stalled sends
    manage.py send_edition --resume 42                 # resume a paused one

Sending goes through the task backend (a worker delivers it); --wait sends
from this process instead, with the same ledger, so it is still exactly once
and safe next to running workers.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from newsletter import compose, sending, tasks
from newsletter.models import Edition, EditionItem, Newsletter, Subscription


class Command(BaseCommand):
    help = "Compose an edition from the latest N published briefs and send it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--newsletter", metavar="SLUG", help="Default: the default newsletter."
        )
        parser.add_argument(
            "--latest",
            type=int,
            metavar="N",
            help="How many of the latest published briefs.",
        )
        parser.add_argument(
            "--subject", help="Default: the first headline and a count."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what would be sent; change nothing.",
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            help="Send from this process and wait until done.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Send even if these briefs already went out together.",
        )
        parser.add_argument(
            "--resume",
            nargs="?",
            const="all",
            metavar="EDITION",
            help="Restart sends a dead worker left, and due scheduled editions "
            "(for cron). Sends paused because the mail server refused them "
            "are listed, not restarted: give the edition's number to resume "
            "one once the cause is fixed.",
        )

    def handle(
        self, *, newsletter, latest, subject, dry_run, wait, force, resume, **options
    ):
        if resume == "all":
            return self.resume(wait)
        if resume is not None:
            return self.resume_paused(resume, wait)
        if not latest or latest < 1:
            raise CommandError("Give --latest N with N of at least 1 (or --resume).")
        target = self.newsletter(newsletter)
        briefs = compose.latest_briefs(latest)
        if not briefs:
            raise CommandError("There is no published brief to send.")
        if not force:
            self.refuse_repeat(target, briefs)
        audience = Subscription.objects.filter(
            newsletter=target, status=Subscription.Status.CONFIRMED
        ).count()
        with transaction.atomic():
            edition = Edition.objects.create(
                newsletter=target,
                subject=subject or self.default_subject(briefs),
                preheader=briefs[0].dek[:200],
            )
            EditionItem.objects.bulk_create(
                EditionItem(edition=edition, article=a, position=i)
                for i, a in enumerate(briefs)
            )
            snapshot = compose.build_snapshot(edition)
            self.stdout.write(
                f"{'Would send' if dry_run else 'Sending'} “{edition.subject}” "
                f"({len(snapshot['items'])} brief{'s' if len(snapshot['items']) != 1 else ''}, "
                f"{snapshot['words']:,} words, {snapshot['minutes']} min read) "
                f"to {audience:,} confirmed subscriber{'s' if audience != 1 else ''} "
                f"of {target.name}."
            )
            for item in snapshot["items"]:
                self.stdout.write(f"  - {item['headline']}")
            if dry_run:
                transaction.set_rollback(True)
                return
        tasks.start(edition.pk)
        if wait:
            result = sending.send_all(edition.pk)
            edition.refresh_from_db()
            self.stdout.write(
                f"Edition #{edition.pk}: {edition.get_status_display().lower()}; "
                f"sent {result['sent']}, failed {result['failed']}, skipped {result['skipped']}."
            )
        else:
            self.stdout.write(
                f"Edition #{edition.pk} is queued; a task worker sends it."
            )

    def newsletter(self, slug):
        if slug:
            found = Newsletter.objects.filter(slug=slug).first()
            if found is None:
                names = (
                    ", ".join(Newsletter.objects.values_list("slug", flat=True))
                    or "none"
                )
                raise CommandError(f"No newsletter “{slug}”. Newsletters: {names}.")
            return found
        found = Newsletter.get_default()
        if found is None:
            raise CommandError("There is no newsletter: create one in the admin.")
        return found

    def default_subject(self, briefs):
        first = briefs[0].headline
        return first if len(briefs) == 1 else f"{first} + {len(briefs) - 1} more"

    def refuse_repeat(self, newsletter, briefs):
        wanted = {a.pk for a in briefs}
        recent = Edition.objects.filter(
            newsletter=newsletter,
            status__in=[Edition.Status.SENDING, Edition.Status.SENT],
        ).order_by("-started_at")[:20]
        for edition in recent:
            if {i.article_id for i in edition.items.all()} == wanted:
                raise CommandError(
                    f"These briefs already went out in edition #{edition.pk} "
                    f"(“{edition.subject}”, {edition.started_at:%Y-%m-%d %H:%M}). "
                    "Publish new briefs, or use --force to send them again."
                )

    def resume(self, wait):
        now = timezone.now()
        due = Edition.objects.filter(
            status=Edition.Status.SCHEDULED, scheduled_at__lte=now
        )
        for edition in due:
            tasks.start(edition.pk)
            self.stdout.write(
                f"Started scheduled edition #{edition.pk} “{edition.subject}”."
            )
        running = list(
            Edition.objects.filter(status=Edition.Status.SENDING, blocked_at=None)
        )
        for edition in running:
            if wait:
                sending.send_all(edition.pk)
            else:
                tasks.send_edition_batch.enqueue(edition.pk)
            self.stdout.write(f"Resumed edition #{edition.pk} “{edition.subject}”.")
        paused = list(
            Edition.objects.filter(status=Edition.Status.SENDING).exclude(
                blocked_at=None
            )
        )
        for edition in paused:
            # Not restarted from cron: a person fixes the cause first.
            self.stdout.write(
                self.style.WARNING(
                    f"Edition #{edition.pk} “{edition.subject}” is paused since "
                    f"{edition.blocked_at:%Y-%m-%d %H:%M}: {edition.blocked_check} "
                    f"The server replied: {edition.blocked_reply}. Fix the cause, "
                    f"then: manage.py send_edition --resume {edition.pk}"
                )
            )
        if not due and not running and not paused:
            self.stdout.write("Nothing to resume.")

    def resume_paused(self, number, wait):
        if not number.isdigit():
            raise CommandError(
                f"--resume takes an edition's number (or nothing), not “{number}”."
            )
        edition = Edition.objects.filter(pk=int(number)).first()
        if edition is None:
            raise CommandError(f"There is no edition #{number}.")
        if edition.status != Edition.Status.SENDING:
            raise CommandError(
                f"Edition #{edition.pk} is {edition.get_status_display().lower()}, "
                "not being sent: there is nothing to resume."
            )
        if not tasks.resume(edition.pk, by="send_edition --resume"):
            # Not paused: restart its tasks, as for a dead worker's send.
            tasks.send_edition_batch.enqueue(edition.pk)
        if not wait:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Resumed edition #{edition.pk} “{edition.subject}”; a task "
                    "worker sends it (or it pauses again if the server still refuses)."
                )
            )
            return
        sending.send_all(edition.pk)
        edition.refresh_from_db()
        if edition.is_blocked:
            raise CommandError(
                f"Edition #{edition.pk} paused again: {edition.blocked_check} "
                f"The server replied: {edition.blocked_reply}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Resumed edition #{edition.pk} “{edition.subject}”: "
                f"{edition.get_status_display().lower()}."
            )
        )
