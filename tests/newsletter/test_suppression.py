"""The suppression list: who is on it, and signups, imports and erasure
respecting it."""

import json

from django.core import mail
from django.test import Client, TestCase, override_settings

from newsletter import imports, privacy, services, suppression
from newsletter.models import (
    Subscriber,
    SubscriberImport,
    Subscription,
    SubscriptionEvent,
    Suppression,
)
from tests.newsletter.factories import default_newsletter, make_subscriber

R = Suppression.Reason
S = Subscription.Status


class SuppressTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()

    def test_an_address_is_found_however_it_was_typed(self):
        suppression.suppress("Ada@Example.com ", R.BLOCKED, source="admin")
        self.assertTrue(suppression.is_suppressed("ada@example.com"))
        self.assertTrue(suppression.is_suppressed("  ADA@example.COM"))
        self.assertFalse(suppression.is_suppressed("bob@example.com"))

    def test_a_second_report_keeps_the_first_row(self):
        first, created = suppression.suppress("ada@example.com", R.HARD_BOUNCE)
        again, created_again = suppression.suppress("ada@example.com", R.COMPLAINT)
        self.assertEqual((created, created_again), (True, False))
        self.assertEqual(again.pk, first.pk)
        self.assertEqual(Suppression.objects.get().reason, R.HARD_BOUNCE)

    def test_a_manual_block_leaves_the_subscriptions_as_they_are(self):
        reader = make_subscriber("ada@example.com", newsletters=[self.daily])
        suppression.suppress("ada@example.com", R.BLOCKED, source="admin (ed)")
        self.assertEqual(reader.subscriptions.get().status, S.CONFIRMED)
        self.assertFalse(SubscriptionEvent.objects.exists())

    def test_a_complaint_closes_every_open_subscription_with_an_event(self):
        weekly = default_newsletter().__class__.objects.create(name="Weekly", slug="w")
        reader = make_subscriber("ada@example.com", newsletters=[self.daily, weekly])
        suppression.suppress("ada@example.com", R.COMPLAINT, source="Postmark webhook")
        self.assertEqual(
            sorted(reader.subscriptions.values_list("status", flat=True)),
            [S.COMPLAINED, S.COMPLAINED],
        )
        self.assertEqual(
            SubscriptionEvent.objects.filter(kind=SubscriptionEvent.Kind.COMPLAINED)
            .values_list("source", flat=True)
            .distinct()
            .get(),
            "Postmark webhook",
        )

    def test_each_reason_is_explained_in_words(self):
        for reason in R:
            with self.subTest(reason):
                row = Suppression(address="a@b.c", reason=reason)
                row.created_at = row.created_at.replace(year=2026, month=1, day=2)
                text = suppression.explain(row)
                self.assertTrue(text.startswith(suppression.ON_THE_LIST))
                if reason != R.ERASED:
                    self.assertIn("2026-01-02", text)


class SignupTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()

    def test_a_suppressed_address_gets_no_row_and_no_mail_but_the_same_answer(self):
        suppression.suppress("ada@example.com", R.HARD_BOUNCE, source="SMTP 550")
        with self.captureOnCommitCallbacks(execute=True):
            suppressed = Client().post("/newsletter/", {"email": "ada@example.com"})
            fresh = Client().post("/newsletter/", {"email": "bob@example.com"})
        self.assertEqual(suppressed.status_code, fresh.status_code)
        self.assertEqual(suppressed["Location"], fresh["Location"])
        self.assertFalse(Subscriber.objects.filter(email="ada@example.com").exists())
        self.assertEqual([m.to for m in mail.outbox], [["bob@example.com"]])

    def test_the_json_answer_is_the_same_and_says_who_is_never_mailed(self):
        suppression.suppress("ada@example.com", R.COMPLAINT)
        answers = []
        for address in ("ada@example.com", "bob@example.com"):
            response = Client().post(
                "/newsletter/",
                {"email": address},
                HTTP_ACCEPT="application/json",
            )
            answers.append(json.loads(response.content))
        self.assertEqual(answers[0], answers[1])
        self.assertIn("spam", answers[0]["note"])

    def test_the_check_your_inbox_page_says_who_is_never_mailed(self):
        response = Client().get("/newsletter/check-your-inbox/")
        self.assertContains(response, "never write to an address whose mail bounced")

    def test_a_blocked_reader_already_on_a_list_is_not_mailed_a_notice(self):
        make_subscriber("ada@example.com", newsletters=[self.daily])
        suppression.suppress("ada@example.com", R.BLOCKED)
        with self.captureOnCommitCallbacks(execute=True):
            outcome = services.signup("ada@example.com", [self.daily], source="footer")
        self.assertTrue(outcome.suppressed)
        self.assertEqual(mail.outbox, [])


class ImportTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()

    def run_import(self, text, mode=SubscriberImport.Mode.CONFIRMED):
        job = SubscriberImport.objects.create(
            newsletter=self.daily, mode=mode, filename="list.csv", data=text
        )
        with self.captureOnCommitCallbacks(execute=True):
            imports.run(job.pk)
        job.refresh_from_db()
        return job

    def test_suppressed_addresses_are_skipped_reported_and_counted(self):
        suppression.suppress("ada@example.com", R.HARD_BOUNCE)
        suppression.suppress("cy@example.com", R.BLOCKED)
        job = self.run_import(
            "email\nada@example.com\nbob@example.com\nCy@Example.com\n"
        )
        self.assertEqual((job.added_count, job.skipped_count), (1, 2))
        self.assertEqual(
            [(r["line"], r["problem"].split(":")[0]) for r in job.report],
            [(2, suppression.ON_THE_LIST), (4, suppression.ON_THE_LIST)],
        )
        self.assertIn("hard bounce", job.report[0]["problem"])
        self.assertIn("2 addresses are on the suppression list", job.notes)
        self.assertEqual(
            list(Subscriber.objects.values_list("email", flat=True)),
            ["bob@example.com"],
        )

    def test_in_confirm_first_mode_no_confirmation_goes_to_a_suppressed_address(self):
        suppression.suppress("ada@example.com", R.COMPLAINT)
        job = self.run_import(
            "email\nada@example.com\nbob@example.com\n",
            mode=SubscriberImport.Mode.PENDING,
        )
        self.assertEqual(job.added_count, 1)
        self.assertEqual([m.to for m in mail.outbox], [["bob@example.com"]])
        self.assertIn("1 address is on the suppression list", job.notes)


@override_settings(SECRET_KEY="k" * 50, SECRET_KEY_FALLBACKS=[])
class ErasureTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()
        self.ada = make_subscriber("ada@example.com", newsletters=[self.daily])

    def everything(self):
        return json.dumps(list(Suppression.objects.values()), default=str)

    def test_an_erased_address_is_kept_only_as_a_keyed_hash(self):
        privacy.erase(self.ada)
        row = Suppression.objects.get()
        self.assertEqual((row.address, row.reason), ("", R.ERASED))
        self.assertNotIn("ada", self.everything())
        self.assertEqual(row.address_hash, suppression.address_hash("ada@example.com"))
        self.assertNotEqual(
            row.address_hash,
            suppression.address_hash("ada@example.com", key="another key"),
        )

    def test_an_erased_address_is_refused_by_an_import(self):
        privacy.erase(self.ada)
        job = SubscriberImport.objects.create(
            newsletter=self.daily,
            mode=SubscriberImport.Mode.CONFIRMED,
            filename="old.csv",
            data="email\nADA@example.com\n",
        )
        imports.run(job.pk)
        job.refresh_from_db()
        self.assertEqual((job.added_count, job.skipped_count), (0, 1))
        self.assertIn("erased", job.report[0]["problem"])

    def test_an_erased_person_may_sign_up_again_themselves(self):
        privacy.erase(self.ada)
        outcome = services.signup("ada@example.com", [self.daily], source="footer")
        self.assertFalse(outcome.suppressed)
        self.assertEqual(outcome.pending, [self.daily])

    def test_an_erasure_forgets_a_bounce_and_keeps_only_the_erased_entry(self):
        suppression.suppress(
            "ada@example.com",
            R.HARD_BOUNCE,
            detail="550 5.1.1 <ada@example.com>: no such user",
        )
        privacy.erase(self.ada)
        row = Suppression.objects.get()
        self.assertEqual((row.address, row.reason, row.detail), ("", R.ERASED, ""))
        self.assertFalse(suppression.blocks_signup("ada@example.com"))
        self.assertTrue(suppression.is_suppressed("ada@example.com"))

    def test_a_key_rotation_still_finds_erased_addresses(self):
        privacy.erase(self.ada)
        with self.settings(SECRET_KEY="n" * 50, SECRET_KEY_FALLBACKS=["k" * 50]):
            self.assertTrue(suppression.is_suppressed("ada@example.com"))
        with self.settings(SECRET_KEY="n" * 50, SECRET_KEY_FALLBACKS=[]):
            self.assertFalse(suppression.is_suppressed("ada@example.com"))

    def test_the_data_export_lists_the_suppression_of_the_address(self):
        suppression.suppress("ada@example.com", R.BLOCKED, source="admin (ed)")
        data = privacy.personal_data(self.ada)
        self.assertEqual(
            [(s["reason"], s["source"]) for s in data["suppressed"]],
            [("blocked", "admin (ed)")],
        )


class AudienceTests(TestCase):
    def test_the_snapshot_skips_a_blocked_address_and_takes_it_back_once_lifted(self):
        from newsletter import starting
        from newsletter.models import Delivery
        from tests.newsletter.factories import make_edition

        daily = default_newsletter()
        make_subscriber("ada@example.com", newsletters=[daily])
        make_subscriber("bob@example.com", newsletters=[daily])
        row, _ = suppression.suppress("ada@example.com", R.BLOCKED, source="admin")
        first = make_edition(daily)
        self.assertEqual(starting.snapshot_audience(first), 1)
        self.assertEqual(
            list(
                Delivery.objects.filter(edition=first).values_list(
                    "subscriber__email", flat=True
                )
            ),
            ["bob@example.com"],
        )
        with self.assertLogs("newsletter.suppression", "WARNING"):
            suppression.lift(row, by="ed")
        self.assertEqual(starting.snapshot_audience(make_edition(daily)), 2)


class ComingBackTests(TestCase):
    def test_confirming_through_a_mailed_link_lifts_a_bounce_or_complaint(self):
        daily = default_newsletter()
        reader = make_subscriber("ada@example.com", newsletters=[daily])
        suppression.suppress("ada@example.com", R.COMPLAINT, source="Postmark webhook")
        # The preferences page (a signed link from an old edition) asks for a
        # fresh confirmation; following it is the reader's own choice.
        services.set_preferences(reader, [daily])
        with self.assertLogs("newsletter.suppression", "WARNING"):
            services.confirm(reader)
        self.assertFalse(suppression.is_suppressed("ada@example.com"))
        self.assertEqual(reader.subscriptions.get().status, S.CONFIRMED)

    def test_a_manual_block_stays_when_the_reader_confirms(self):
        daily = default_newsletter()
        reader = make_subscriber(
            "ada@example.com", newsletters=[daily], status=S.PENDING
        )
        suppression.suppress("ada@example.com", R.BLOCKED, source="admin (ed)")
        services.confirm(reader)
        self.assertTrue(suppression.is_suppressed("ada@example.com"))
