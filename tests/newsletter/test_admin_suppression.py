"""The suppression list in the admin: searchable with why and when, a manual
block added and lifted by a newsletter editor, each removal logged."""

from django.contrib.admin.models import DELETION, LogEntry
from django.test import TestCase

from newsletter import privacy, suppression
from newsletter.models import Subscriber, Suppression
from tests.factories import make_role_user
from tests.newsletter.factories import default_newsletter, make_subscriber

R = Suppression.Reason
URL = "/admin/newsletter/suppression/"


class SuppressionAdminTests(TestCase):
    def setUp(self):
        self.editor = make_role_user("nora", "Newsletter editor")
        self.client.force_login(self.editor)

    def test_the_list_shows_why_and_when_and_finds_an_address(self):
        suppression.suppress(
            "ada@example.com", R.HARD_BOUNCE, source="Postmark webhook"
        )
        suppression.suppress("bob@example.com", R.COMPLAINT, source="SES webhook")
        page = self.client.get(URL, {"q": "ada@"})
        self.assertContains(page, "ada@example.com")
        self.assertContains(page, "Hard bounce")
        self.assertContains(page, "Postmark webhook")
        self.assertNotContains(page, "bob@example.com")
        by_reason = self.client.get(URL, {"reason__exact": R.COMPLAINT})
        self.assertContains(by_reason, "bob@example.com")
        self.assertNotContains(by_reason, "ada@example.com")

    def test_an_erased_address_is_found_only_by_its_exact_spelling(self):
        ada = make_subscriber("ada@example.com", newsletters=[default_newsletter()])
        privacy.erase(ada)
        self.assertContains(self.client.get(URL, {"q": "ADA@example.com"}), "erased")
        self.assertNotContains(self.client.get(URL, {"q": "ada@"}), "keyed hash")

    def test_an_editor_blocks_an_address_by_hand(self):
        reader = make_subscriber("ada@example.com", newsletters=[default_newsletter()])
        response = self.client.post(
            f"{URL}add/", {"address": " Ada@Example.com ", "detail": "Asked by phone"}
        )
        self.assertEqual(response.status_code, 302)
        row = Suppression.objects.get()
        self.assertEqual(
            (row.address, row.reason, row.detail, row.source),
            ("ada@example.com", R.BLOCKED, "Asked by phone", "admin (nora)"),
        )
        self.assertEqual(reader.subscriptions.get().status, "confirmed")

    def test_blocking_an_address_already_on_the_list_says_why_it_is(self):
        suppression.suppress("ada@example.com", R.COMPLAINT)
        response = self.client.post(f"{URL}add/", {"address": "ada@example.com"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "marked our mail as spam")
        self.assertEqual(Suppression.objects.count(), 1)

    def test_lifting_a_block_is_logged_and_an_erasure_cannot_be_lifted(self):
        row, _ = suppression.suppress("ada@example.com", R.BLOCKED, source="admin")
        erased = Suppression.objects.create(address_hash="0" * 64, reason=R.ERASED)
        with self.assertLogs("newsletter.suppression", "WARNING") as logs:
            response = self.client.post(
                URL,
                {"action": "lift_selected", "_selected_action": [row.pk, erased.pk]},
                follow=True,
            )
        self.assertContains(response, "Lifted 1")
        self.assertContains(response, "1 kept")
        self.assertEqual(list(Suppression.objects.all()), [erased])
        self.assertIn("nora", logs.output[0])
        self.assertTrue(
            LogEntry.objects.filter(
                action_flag=DELETION, object_repr="ada@example.com"
            ).exists()
        )
        self.assertEqual(self.client.get(f"{URL}{erased.pk}/delete/").status_code, 403)

    def test_rows_are_read_only(self):
        row, _ = suppression.suppress("ada@example.com", R.HARD_BOUNCE, detail="550")
        page = self.client.get(f"{URL}{row.pk}/change/")
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, 'name="_save"')


class SubscriberAdminRespectsSuppressionTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()
        self.client.force_login(make_role_user("nora", "Newsletter editor"))

    def form(self, subscriber=None, email="ada@example.com", status="confirmed"):
        subscription = subscriber.subscriptions.get() if subscriber else None
        return {
            "email": email,
            "name": "",
            "subscriptions-TOTAL_FORMS": "1",
            "subscriptions-INITIAL_FORMS": "1" if subscription else "0",
            "subscriptions-MIN_NUM_FORMS": "0",
            "subscriptions-MAX_NUM_FORMS": "1000",
            "subscriptions-0-id": subscription.pk if subscription else "",
            "subscriptions-0-subscriber": subscriber.pk if subscriber else "",
            "subscriptions-0-newsletter": self.daily.pk,
            "subscriptions-0-status": status,
        }

    def test_adding_a_suppressed_address_is_refused_with_the_reason(self):
        suppression.suppress("ada@example.com", R.COMPLAINT, source="SES webhook")
        response = self.client.post(
            "/admin/newsletter/subscriber/add/", self.form(email="Ada@example.com")
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "marked our mail as spam")
        self.assertContains(response, "Lift it on the Suppressions page first")
        self.assertFalse(Subscriber.objects.exists())

    def test_confirming_a_bounced_reader_by_hand_is_refused_while_suppressed(self):
        reader = make_subscriber("ada@example.com", newsletters=[self.daily])
        suppression.suppress("ada@example.com", R.HARD_BOUNCE, source="SMTP 550")
        url = f"/admin/newsletter/subscriber/{reader.pk}/change/"
        response = self.client.post(url, self.form(reader, status="confirmed"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "the mailbox does not exist")
        self.assertEqual(reader.subscriptions.get().status, "bounced")
        # Anything else about them can still be saved.
        response = self.client.post(url, self.form(reader, status="bounced"))
        self.assertEqual(response.status_code, 302)
