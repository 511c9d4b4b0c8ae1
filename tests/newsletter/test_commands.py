import email
import email.policy
from datetime import timedelta
from io import StringIO

from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import timezone

from newsletter.models import Delivery, Edition
from tests.factories import make_article, make_brief
from tests.newsletter.factories import (
    default_newsletter,
    make_audience,
    make_edition,
    make_newsletter,
)
from tests.smtp_sink import SMTPTestMixin


class SendEditionCommandTests(SMTPTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.daily = default_newsletter()
        self.readers = make_audience(self.daily, 12)
        self.briefs = [
            make_brief(
                headline=f"Brief {i}", published_at=timezone.now() - timedelta(hours=i)
            )
            for i in range(4)
        ]
        make_article(headline="A draft", status="draft")

    def run_command(self, *args):
        out = StringIO()
        with self.captureOnCommitCallbacks(execute=True):
            call_command("send_edition", *args, stdout=out)
        return out.getvalue()

    def test_it_sends_the_latest_briefs_to_every_confirmed_subscriber_once(self):
        output = self.run_command("--latest", "3")
        edition = Edition.objects.get()
        self.assertEqual(edition.newsletter, self.daily)
        self.assertEqual(edition.status, Edition.Status.SENT)
        self.assertEqual(edition.subject, "Brief 0 + 2 more")
        self.assertEqual(
            [i["headline"] for i in edition.snapshot["items"]],
            ["Brief 0", "Brief 1", "Brief 2"],
        )
        self.assertEqual(self.sink.count(), 12)
        self.assertEqual(
            sorted(m.rcpt_tos[0] for m in self.sink.messages),
            sorted(r.email for r in self.readers),
        )
        for received in self.sink.messages:
            message = email.message_from_bytes(
                received.raw, policy=email.policy.default
            )
            self.assertEqual(
                message["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click"
            )
        self.assertIn("to 12 confirmed subscribers of The Daily Brief", output)

    def test_a_dry_run_changes_nothing(self):
        output = self.run_command("--latest", "2", "--dry-run")
        self.assertIn("Would send “Brief 0 + 1 more”", output)
        self.assertIn("  - Brief 1", output)
        self.assertEqual(Edition.objects.count(), 0)
        self.assertEqual(Delivery.objects.count(), 0)
        self.assertEqual(self.sink.count(), 0)

    def test_it_sends_to_the_named_newsletter(self):
        weekly = make_newsletter(name="The Weekly", slug="weekly")
        make_audience(weekly, 3)
        self.run_command(
            "--newsletter", "weekly", "--latest", "1", "--subject", "Hello"
        )
        self.assertEqual(Edition.objects.get().newsletter, weekly)
        self.assertEqual(self.sink.count(), 3)

    def test_the_same_briefs_are_not_sent_twice_without_force(self):
        self.run_command("--latest", "2")
        with self.assertRaisesMessage(CommandError, "already went out in edition"):
            self.run_command("--latest", "2")
        self.run_command("--latest", "2", "--force")
        self.assertEqual(self.sink.count(), 24)

    def test_bad_arguments_get_clear_errors(self):
        with self.assertRaisesMessage(CommandError, "No newsletter “nope”"):
            self.run_command("--newsletter", "nope", "--latest", "1")
        with self.assertRaisesMessage(CommandError, "--latest N"):
            self.run_command("--latest", "0")

    def test_no_published_brief_is_an_error(self):
        for brief in self.briefs:
            brief.delete()
        with self.assertRaisesMessage(CommandError, "no published brief"):
            self.run_command("--latest", "3")

    def test_resume_restarts_running_sends_and_due_schedules(self):
        due = make_edition(
            self.daily,
            self.briefs[:1],
            status=Edition.Status.SCHEDULED,
            scheduled_at=timezone.now() - timedelta(minutes=1),
        )
        later = make_edition(
            self.daily,
            self.briefs[1:2],
            status=Edition.Status.SCHEDULED,
            scheduled_at=timezone.now() + timedelta(hours=1),
        )
        output = self.run_command("--resume")
        self.assertIn(f"Started scheduled edition #{due.pk}", output)
        due.refresh_from_db()
        later.refresh_from_db()
        self.assertEqual(due.status, Edition.Status.SENT)
        self.assertEqual(later.status, Edition.Status.SCHEDULED)
        self.assertEqual(self.sink.count(), 12)
        self.assertIn("Nothing to resume", self.run_command("--resume"))

    def test_resume_lists_a_paused_send_and_resumes_it_only_when_named(self):
        from django.conf import settings

        for reader in self.readers:
            self.sink.rcpt_replies[reader.email] = "554 5.7.1 Service unavailable"
        with self.settings(NEWSLETTER={**settings.NEWSLETTER, "BREAKER_RUN": 5}):
            self.run_command("--latest", "2")
        edition = Edition.objects.get()
        self.assertTrue(edition.is_blocked)
        # Cron's --resume leaves it paused, and says why and what to run.
        output = self.run_command("--resume")
        self.assertIn(f"Edition #{edition.pk} “{edition.subject}” is paused", output)
        self.assertIn("554 5.7.1 Service unavailable", output)
        self.assertIn(f"manage.py send_edition --resume {edition.pk}", output)
        self.assertTrue(Edition.objects.get().is_blocked)
        self.assertEqual(self.sink.count(), 0)
        # Named while the server still refuses: paused again, said so.
        with self.settings(NEWSLETTER={**settings.NEWSLETTER, "BREAKER_RUN": 5}):
            with self.assertRaisesMessage(CommandError, "paused again"):
                self.run_command("--resume", str(edition.pk), "--wait")
        self.sink.rcpt_replies.clear()
        output = self.run_command("--resume", str(edition.pk))
        self.assertIn(f"Resumed edition #{edition.pk}", output)
        edition.refresh_from_db()
        self.assertEqual((edition.status, edition.sent_count), ("sent", 12))
        self.assertEqual(self.sink.count(), 12)
        self.assertEqual(Delivery.objects.filter(attempts=1).count(), 12)

    def test_resume_with_a_bad_edition_number_is_a_clear_error(self):
        for value, message in [
            ("x", "--resume takes an edition's number"),
            ("999", "There is no edition #999."),
        ]:
            with self.assertRaisesMessage(CommandError, message):
                self.run_command("--resume", value)
        draft = make_edition(self.daily, self.briefs[:1])
        with self.assertRaisesMessage(CommandError, "is draft, not being sent"):
            self.run_command("--resume", str(draft.pk))
