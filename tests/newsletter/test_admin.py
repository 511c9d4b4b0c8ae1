import csv
import io
from datetime import timedelta

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsletter import services
from newsletter.models import (
    Delivery,
    Edition,
    Subscriber,
    SubscriberImport,
    Subscription,
    SubscriptionEvent,
)
from tests.factories import make_article, make_brief, make_user
from tests.helpers import DB_TASKS
from tests.newsletter.factories import (
    default_newsletter,
    make_audience,
    make_edition,
    make_newsletter,
    make_subscriber,
)
from tests.smtp_sink import SMTPTestMixin

S = Subscription.Status


class AdminTestCase(TestCase):
    """A superuser logged in, and the default list (test_admin_edition's pages
    build on it too)."""

    def setUp(self):
        super().setUp()
        self.user = make_user("chief", superuser=True)
        self.client.force_login(self.user)
        self.daily = default_newsletter()


class NewsletterDeletionTests(AdminTestCase):
    def test_a_list_with_sent_editions_explains_why_it_stays(self):
        weekly = make_newsletter(name="Weekly")
        make_edition(weekly, subject="Week one", status=Edition.Status.SENT)
        url = f"/admin/newsletter/newsletter/{weekly.pk}/delete/"
        page = self.client.get(url)
        self.assertContains(page, "Cannot delete newsletter")
        self.assertNotContains(page, "doesn't have permission")
        self.assertContains(page, "Sent edition “Week one”: kept as the record")
        self.assertContains(page, "untick “Is public” instead")
        self.client.post(url, {"post": "yes"})
        self.assertTrue(type(weekly).objects.filter(pk=weekly.pk).exists())

    def test_a_list_without_editions_can_be_deleted(self):
        spare = make_newsletter(name="Spare")
        url = f"/admin/newsletter/newsletter/{spare.pk}/delete/"
        self.assertContains(self.client.get(url), "Are you sure")
        self.client.post(url, {"post": "yes"})
        self.assertFalse(type(spare).objects.filter(pk=spare.pk).exists())


class SubscriberListTests(AdminTestCase):
    def test_search_and_the_list_status_filter(self):
        weekly = make_newsletter(name="Weekly", slug="weekly")
        make_subscriber("ada@example.com", newsletters=[self.daily])
        make_subscriber("bob@example.com", newsletters=[weekly])
        make_subscriber(
            "cy@example.com", newsletters=[self.daily], status=S.UNSUBSCRIBED
        )
        url = "/admin/newsletter/subscriber/"
        self.assertContains(self.client.get(url, {"q": "ada"}), "ada@example.com")
        self.assertNotContains(self.client.get(url, {"q": "ada"}), "bob@example.com")
        filtered = self.client.get(url, {"on": f"{self.daily.pk}:confirmed"})
        self.assertContains(filtered, "ada@example.com")
        self.assertNotContains(filtered, "cy@example.com")
        self.assertNotContains(filtered, "bob@example.com")
        self.assertEqual(self.client.get(url, {"on": "junk"}).status_code, 200)

    def test_the_list_page_runs_the_same_queries_however_many_rows(self):
        url = "/admin/newsletter/subscriber/"
        make_audience(self.daily, 3)
        self.client.get(url)
        with CaptureQueriesContext(connection) as few:
            self.client.get(url)
        make_audience(self.daily, 30)
        with CaptureQueriesContext(connection) as many:
            self.client.get(url)
        self.assertEqual(len(few.captured_queries), len(many.captured_queries))

    def test_the_change_page_shows_the_consent_history(self):
        subscriber = make_subscriber(
            "ada@example.com", newsletters=[self.daily], status=S.PENDING
        )
        services.record(
            subscriber.subscriptions.get(),
            SubscriptionEvent.Kind.REQUESTED,
            "footer",
            "/briefs/x/",
        )
        response = self.client.get(
            f"/admin/newsletter/subscriber/{subscriber.pk}/change/"
        )
        self.assertContains(response, "Consent history")
        self.assertContains(response, "/briefs/x/")

    def test_a_status_changed_in_the_admin_is_logged(self):
        subscriber = make_subscriber("ada@example.com", newsletters=[self.daily])
        subscription = subscriber.subscriptions.get()
        data = {
            "email": "ada@example.com",
            "name": "",
            "subscriptions-TOTAL_FORMS": "1",
            "subscriptions-INITIAL_FORMS": "1",
            "subscriptions-MIN_NUM_FORMS": "0",
            "subscriptions-MAX_NUM_FORMS": "1000",
            "subscriptions-0-id": subscription.pk,
            "subscriptions-0-subscriber": subscriber.pk,
            "subscriptions-0-newsletter": self.daily.pk,
            "subscriptions-0-status": S.COMPLAINED,
        }
        response = self.client.post(
            f"/admin/newsletter/subscriber/{subscriber.pk}/change/", data
        )
        self.assertEqual(
            response.status_code,
            302,
            getattr(response, "context", None) and response.context["errors"],
        )
        subscription.refresh_from_db()
        self.assertEqual(subscription.status, S.COMPLAINED)
        self.assertIsNotNone(subscription.unsubscribed_at)
        self.assertEqual(
            subscription.events.get().kind, SubscriptionEvent.Kind.COMPLAINED
        )


class ExportTests(AdminTestCase):
    def rows(self, response):
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(body)))

    def test_it_exports_the_filtered_list_with_consent_data(self):
        make_subscriber("ada@example.com", newsletters=[self.daily])
        make_subscriber(
            "gone@example.com", newsletters=[self.daily], status=S.UNSUBSCRIBED
        )
        response = self.client.get(
            "/admin/newsletter/subscriber/export/", {"on": f"{self.daily.pk}:confirmed"}
        )
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        rows = self.rows(response)
        self.assertEqual([r["email"] for r in rows], ["ada@example.com"])
        self.assertEqual(rows[0]["newsletter"], "daily")
        self.assertEqual(rows[0]["status"], "confirmed")

    def test_cells_cannot_become_spreadsheet_formulas(self):
        make_subscriber(
            "ada@example.com", newsletters=[self.daily], name="=HYPERLINK(1)"
        )
        rows = self.rows(self.client.get("/admin/newsletter/subscriber/export/"))
        self.assertEqual(rows[0]["name"], "'=HYPERLINK(1)")

    def test_the_action_exports_the_selection(self):
        a = make_subscriber("ada@example.com", newsletters=[self.daily])
        make_subscriber("bob@example.com", newsletters=[self.daily])
        response = self.client.post(
            "/admin/newsletter/subscriber/",
            {"action": "export_csv", "_selected_action": [a.pk]},
        )
        self.assertEqual([r["email"] for r in self.rows(response)], ["ada@example.com"])


class ImportTests(AdminTestCase):
    CSV = (
        "Name;E-mail\n"
        "Ada;ada@example.com\n"
        "Bob;not an address\n"
        "Ada again; ADA@example.com \n"
        "Cy;cy@example.com\n"
        "Gone;gone@example.com\n"
        "Zoë;zoë@example.com\n"
        ";existing@example.com\n"
    )

    def setUp(self):
        super().setUp()
        make_subscriber(
            "gone@example.com", newsletters=[self.daily], status=S.UNSUBSCRIBED
        )
        make_subscriber("existing@example.com", newsletters=[self.daily])

    def upload(self, text, mode="confirmed", consent=True, name="list.csv"):
        data = {
            "file": SimpleUploadedFile(
                name, text.encode() if isinstance(text, str) else text
            ),
            "newsletter": self.daily.pk,
            "mode": mode,
        }
        if consent:
            data["consent"] = "on"
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post("/admin/newsletter/subscriber/import/", data)

    def test_it_imports_valid_rows_and_reports_every_other_one(self):
        response = self.upload(self.CSV)
        job = SubscriberImport.objects.get()
        self.assertRedirects(response, f"/admin/newsletter/subscriber/import/{job.pk}/")
        self.assertEqual(job.status, SubscriberImport.Status.DONE)
        self.assertEqual(
            (
                job.total_rows,
                job.processed_rows,
                job.added_count,
                job.existing_count,
                job.skipped_count,
                job.invalid_count,
            ),
            (7, 7, 2, 1, 1, 3),
        )
        self.assertEqual([item["line"] for item in job.report], [3, 4, 6, 7])
        self.assertIn("valid email address", job.report[0]["problem"])
        self.assertIn("Same address as line 2", job.report[1]["problem"])
        self.assertIn("never puts them back", job.report[2]["problem"])
        self.assertIn("accents", job.report[3]["problem"])
        self.assertEqual(
            set(
                Subscription.objects.filter(
                    status=S.CONFIRMED, source="import"
                ).values_list("subscriber__email", flat=True)
            ),
            {"ada@example.com", "cy@example.com"},
        )
        self.assertEqual(Subscriber.objects.get(email="ada@example.com").name, "Ada")
        self.assertEqual(
            Subscription.objects.get(subscriber__email="gone@example.com").status,
            S.UNSUBSCRIBED,
        )
        page = self.client.get(response["Location"])
        self.assertContains(page, "Rows not imported")
        self.assertContains(page, "not an address")
        self.assertEqual(job.data, "")
        progress = self.client.get(
            f"/admin/newsletter/subscriber/import/{job.pk}/progress.json"
        ).json()
        self.assertEqual(progress["added"], 2)
        self.assertTrue(progress["finished"])

    def test_subscribing_without_confirmation_needs_the_consent_box(self):
        response = self.upload(self.CSV, consent=False)
        self.assertContains(response, "needs their prior consent")
        self.assertEqual(SubscriberImport.objects.count(), 0)

    def test_the_pending_mode_emails_each_new_address_a_confirmation(self):
        self.upload(
            "email\nada@example.com\ncy@example.com\n", mode="pending", consent=False
        )
        self.assertEqual(
            set(
                Subscription.objects.filter(status=S.PENDING).values_list(
                    "subscriber__email", flat=True
                )
            ),
            {"ada@example.com", "cy@example.com"},
        )
        self.assertEqual(
            sorted(m.to[0] for m in mail.outbox), ["ada@example.com", "cy@example.com"]
        )

    def test_a_file_without_header_uses_the_column_of_addresses(self):
        self.upload("Ada,ada@example.com\nCy,cy@example.com\n")
        self.assertEqual(SubscriberImport.objects.get().added_count, 2)

    def test_latin1_files_are_read_and_said_so(self):
        self.upload("name,email\nJos\xe9,jose@example.com\n".encode("latin-1"))
        job = SubscriberImport.objects.get()
        self.assertEqual(Subscriber.objects.get(email="jose@example.com").name, "José")
        self.assertIn("Latin-1", job.notes)

    def test_files_that_are_not_csv_get_a_clear_error(self):
        for content, message in [
            (b"PK\x03\x04\x00\x00binary", "binary file"),
            (b"", "empty"),
            (b"name\nAda\n", "No column of email addresses"),
        ]:
            with self.subTest(message=message):
                response = self.upload(content)
                self.assertContains(response, message)
        self.assertEqual(SubscriberImport.objects.count(), 0)

    def test_with_a_worker_backend_the_page_shows_progress_until_it_is_done(self):
        with self.settings(TASKS=DB_TASKS):
            response = self.upload("email\nada@example.com\n")
        page = self.client.get(response["Location"])
        self.assertContains(page, "Waiting for a worker")
        self.assertContains(page, 'data-done="0"')
        self.assertContains(page, "newsletter/admin/progress.js")


class ActivityChartTests(AdminTestCase):
    def test_it_draws_daily_bars_from_the_consent_log(self):
        subscriber = make_subscriber(
            "ada@example.com", newsletters=[self.daily], status=S.PENDING
        )
        subscription = subscriber.subscriptions.get()
        yesterday = timezone.now() - timedelta(days=1)
        for kind in ["requested", "requested", "confirmed"]:
            services.record(subscription, kind, at=yesterday)
        services.record(subscription, "unsubscribed")
        response = self.client.get("/admin/newsletter/subscriber/activity/?days=7")
        chart = response.context["chart"]
        self.assertEqual(
            chart["totals"], {"signups": 2, "confirmations": 1, "unsubscribes": 1}
        )
        self.assertEqual(len(chart["days"]), 7)
        self.assertContains(response, "<svg")
        self.assertContains(response, "2 signups</title>")
        self.assertNotContains(response, "style=")


class EditionAdminTests(SMTPTestMixin, AdminTestCase):
    def setUp(self):
        super().setUp()
        self.user.email = "chief@example.com"
        self.user.save()
        self.brief = make_brief(headline="Cranes return")
        self.edition = make_edition(self.daily, [self.brief], subject="Ports reopen")
        self.url = f"/admin/newsletter/edition/{self.edition.pk}/"

    def test_the_change_page_offers_test_schedule_and_send(self):
        make_article(headline="Still a draft", status="draft")
        response = self.client.get(f"{self.url}change/")
        for text in [
            "Preview email",
            "Send a test to me (chief@example.com)",
            "Send now",
            "Status: <strong>Draft",
        ]:
            self.assertContains(response, text)

    def test_the_preview_is_the_email_with_a_csp_that_allows_only_its_styles(self):
        response = self.client.get(f"{self.url}preview/")
        self.assertContains(response, "Cranes return")
        self.assertContains(response, "style=")
        policy = response["Content-Security-Policy"]
        self.assertIn("default-src 'none'", policy)
        self.assertIn("style-src 'unsafe-inline'", policy)
        self.assertNotIn("script-src", policy)
        text = self.client.get(f"{self.url}preview.txt")
        self.assertEqual(text["Content-Type"], "text/plain; charset=utf-8")
        self.assertIn("Subject: Ports reopen", text.content.decode())

    def test_send_test_mails_the_editor_one_marked_copy(self):
        response = self.client.post(f"{self.url}send-test/")
        self.assertEqual(response.status_code, 302)
        received = self.sink.to("chief@example.com")
        self.assertEqual(len(received), 1)
        self.assertIn(b"Subject: [Test] Ports reopen", received[0].raw)
        self.assertIn(
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", received[0].raw
        )
        self.edition.refresh_from_db()
        self.assertEqual(self.edition.status, Edition.Status.DRAFT)

    def test_send_asks_first_then_sends_and_reports_progress(self):
        make_audience(self.daily, 3)
        confirm = self.client.get(f"{self.url}send/")
        self.assertContains(confirm, "goes to <strong>3</strong> confirmed subscribers")
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"{self.url}send/")
        self.edition.refresh_from_db()
        self.assertEqual(self.edition.status, Edition.Status.SENT)
        self.assertEqual(self.sink.count(), 3)
        progress = self.client.get(f"{self.url}progress.json").json()
        self.assertEqual(
            progress,
            {
                "status": "sent",
                "status_label": "Sent",
                "blocked": False,
                "blocked_at": None,
                "blocked_check": "",
                "blocked_reply": "",
                "total": 3,
                "sent": 3,
                "failed": 0,
                "skipped": 0,
                "remaining": 0,
            },
        )
        page = self.client.get(f"{self.url}change/")
        self.assertContains(page, '<progress data-bar max="3" value="3">')
        self.assertNotContains(page, "Send now")
        self.assertFalse(page.context["has_delete_permission"])

    def test_a_paused_send_shows_the_reply_what_to_check_and_a_resume_button(self):
        from django.conf import settings
        from django.contrib.admin.models import LogEntry

        readers = make_audience(self.daily, 4)
        for reader in readers:
            self.sink.rcpt_replies[reader.email] = "550 5.7.1 Relaying denied"
        with self.settings(NEWSLETTER={**settings.NEWSLETTER, "BREAKER_RUN": 3}):
            with self.captureOnCommitCallbacks(execute=True):
                self.client.post(f"{self.url}send/")
        page = self.client.get(f"{self.url}change/")
        for text in [
            "Status: <strong>Paused",
            "Sending is paused",
            "3 messages in a row were refused with 550 5.7.1.",
            "the 4 messages still to go will be sent once you resume",
            '<pre class="nl-reply">550 5.7.1 Relaying denied</pre>',
            "What to check",
            "<strong>Relay credentials and access.</strong>",
            "<strong>IP blocklists.</strong>",
            "<strong>Sender domain: SPF, DKIM and DMARC.</strong>",
            "<strong>Sending quota.</strong>",
            f'action="{self.url}resume/"',
            'value="Resume sending"',
            f"manage.py send_edition --resume {self.edition.pk}",
        ]:
            self.assertContains(page, text)
        progress = self.client.get(f"{self.url}progress.json").json()
        self.assertEqual(
            {k: progress[k] for k in ("status_label", "blocked", "remaining")},
            {"status_label": "Paused", "blocked": True, "remaining": 4},
        )
        self.assertEqual(progress["blocked_reply"], "550 5.7.1 Relaying denied")
        listing = self.client.get("/admin/newsletter/edition/")
        self.assertContains(
            listing,
            '<strong title="550 5.7.1 Relaying denied">Paused</strong> (550 5.7.1)',
        )
        self.assertEqual(self.client.get(f"{self.url}resume/").status_code, 403)

        self.sink.rcpt_replies.clear()  # the relay takes mail again
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(f"{self.url}resume/", follow=True)
        self.assertContains(response, "Sending has resumed.")
        self.assertNotContains(response, "Sending is paused")
        self.edition.refresh_from_db()
        self.assertEqual((self.edition.status, self.edition.sent_count), ("sent", 4))
        self.assertEqual(self.sink.count(), 4)
        self.assertEqual(
            LogEntry.objects.get(object_id=str(self.edition.pk)).get_change_message(),
            "Resumed sending after a pause (550 5.7.1 Relaying denied).",
        )
        again = self.client.post(f"{self.url}resume/", follow=True)
        self.assertContains(again, "This edition is not paused.")

    def test_scheduling_queues_a_task_for_that_time(self):
        from django_tasks_db.models import DBTaskResult

        when = timezone.localtime() + timedelta(hours=2)
        with self.settings(TASKS=DB_TASKS):
            with self.captureOnCommitCallbacks(execute=True):
                self.client.post(
                    f"{self.url}schedule/", {"when": when.strftime("%Y-%m-%dT%H:%M")}
                )
        self.edition.refresh_from_db()
        self.assertEqual(self.edition.status, Edition.Status.SCHEDULED)
        task = DBTaskResult.objects.get()
        self.assertEqual(task.task_path, "newsletter.tasks.start_edition")
        self.assertEqual(task.run_after, self.edition.scheduled_at)

    def test_a_time_in_the_past_or_no_backend_to_defer_is_a_clear_error(self):
        past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        with self.settings(TASKS=DB_TASKS):
            response = self.client.post(
                f"{self.url}schedule/", {"when": past}, follow=True
            )
        self.assertContains(response, "Choose a time in the future")
        future = (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        response = self.client.post(
            f"{self.url}schedule/", {"when": future}, follow=True
        )
        self.assertContains(response, "cannot run tasks later")
        self.edition.refresh_from_db()
        self.assertEqual(self.edition.status, Edition.Status.DRAFT)

    def test_a_scheduled_edition_whose_time_moved_does_not_start_early(self):
        from newsletter import tasks

        first = timezone.now() + timedelta(hours=1)
        Edition.objects.filter(pk=self.edition.pk).update(
            status=Edition.Status.SCHEDULED, scheduled_at=first + timedelta(hours=1)
        )
        self.assertEqual(
            tasks.start_edition.call(self.edition.pk, first.isoformat()),
            "rescheduled or cancelled",
        )
        self.assertEqual(Delivery.objects.count(), 0)

    def test_a_newsletter_editor_reaches_the_newsletter_admin(self):
        from django.contrib.auth.models import Group

        from articles.roles import NEWSLETTER_EDITOR

        editor = make_user("nora", staff=True)
        editor.groups.add(Group.objects.get(name=NEWSLETTER_EDITOR))
        self.client.force_login(editor)
        self.assertEqual(self.client.get("/admin/newsletter/").status_code, 200)
        self.assertEqual(self.client.get(f"{self.url}change/").status_code, 200)
