"""Data safety on the newsletter side: history survives deletion, a reader's
data can be handed over and erased from the admin, and logs hold no tokens.

The generic redaction of request lines is tested in
tests/newsroom/test_logging.py; here it is what the newsletter's own code
logs while it works (sends, retries, refusals) that must hold no working link.
"""

import io
import json
import logging
from datetime import timedelta

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.db import connection
from django.db.models import ProtectedError
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsletter import privacy, sending, services, tasks, tokens
from newsletter.models import (
    Delivery,
    Edition,
    Newsletter,
    Subscriber,
    SubscriberImport,
    Subscription,
    SubscriptionEvent,
)
from newsroom.logging import RedactSecrets
from tests.factories import make_brief, make_user
from tests.helpers import delete_selected
from tests.newsletter.factories import (
    default_newsletter,
    make_audience,
    make_edition,
    make_newsletter,
    make_subscriber,
)
from tests.smtp_sink import SMTPTestMixin

S = Subscription.Status
D = Delivery.Status


def send(edition):
    tasks.start(edition.pk)
    edition.refresh_from_db()
    return edition


def sign_up_ada(*newsletters, **fields) -> Subscriber:
    """ada@example.com signed up from a brief's footer form and confirmed,
    through the same services the site uses (her consent log is real)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.signup(
            "ada@example.com",
            list(newsletters),
            source=Subscription.Source.FOOTER_FORM,
            source_url="/briefs/ada-read-this/",
            **fields,
        )
    ada = Subscriber.objects.get(email="ada@example.com")
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.confirm(ada)
    return ada


def erase_from_the_admin(client, subscriber):
    """The subscriber list's "Erase personal data" action on one subscriber,
    confirmed."""
    return client.post(
        "/admin/newsletter/subscriber/",
        {
            "action": "erase_personal_data",
            "_selected_action": [subscriber.pk],
            "confirm": "yes",
        },
    )


class NewsletterDeletionTests(SMTPTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(make_user("chief", superuser=True))
        self.weekly = make_newsletter(name="Weekly", slug="weekly")
        make_audience(self.weekly, 3)
        with self.captureOnCommitCallbacks(execute=True):
            self.edition = make_edition(self.weekly, [make_brief()])
            tasks.start(self.edition.pk)
        self.edition.refresh_from_db()

    def history(self):
        return (
            sorted(Delivery.objects.values_list("pk", "status", "sent_at")),
            Edition.objects.filter(pk=self.edition.pk).values_list(
                "status", "sent_count"
            )[0],
        )

    def test_a_newsletter_that_sent_editions_is_not_deleted_with_its_history(self):
        before = self.history()
        self.assertEqual(before[1], ("sent", 3))
        url = f"/admin/newsletter/newsletter/{self.weekly.pk}/delete/"
        page = self.client.get(url)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "Cannot delete newsletter")
        self.assertContains(
            page, f"Sent edition “{self.edition.subject}”: kept as the record"
        )
        response = self.client.post(url, {"post": "yes"})
        self.assertNotEqual(response.status_code, 500)
        self.assertTrue(Newsletter.objects.filter(pk=self.weekly.pk).exists())
        self.assertEqual(self.history(), before)
        with self.assertRaises(ProtectedError):
            self.weekly.delete()
        self.assertEqual(self.history(), before)

    def test_the_bulk_delete_action_cannot_take_it_either(self):
        before = self.history()
        delete_selected(self.client, "/admin/newsletter/newsletter/", [self.weekly.pk])
        self.assertTrue(Newsletter.objects.filter(pk=self.weekly.pk).exists())
        self.assertEqual(self.history(), before)

    def test_a_sent_edition_cannot_be_deleted_alone_or_in_bulk(self):
        before = self.history()
        self.assertEqual(
            self.client.get(
                f"/admin/newsletter/edition/{self.edition.pk}/delete/"
            ).status_code,
            403,
        )
        delete_selected(self.client, "/admin/newsletter/edition/", [self.edition.pk])
        self.assertEqual(self.history(), before)

    def test_a_newsletter_nobody_ever_subscribed_to_can_go(self):
        spare = make_newsletter(name="Spare", slug="spare")
        response = self.client.post(
            f"/admin/newsletter/newsletter/{spare.pk}/delete/", {"post": "yes"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Newsletter.objects.filter(pk=spare.pk).exists())


class ConsentHistoryTests(TestCase):
    """The consent log outlives anything done in the admin, by a newsletter
    editor or a superuser; erasure stays the one way personal data goes."""

    def setUp(self):
        self.daily = default_newsletter()
        self.weekly = make_newsletter(name="Weekly", slug="weekly")
        self.ada = sign_up_ada(self.daily, self.weekly)
        self.chief = make_user("chief", superuser=True)
        self.client.force_login(self.chief)

    def history(self):
        return (
            sorted(
                SubscriptionEvent.objects.values_list(
                    "pk", "subscription_id", "kind", "created_at"
                )
            ),
            sorted(
                Subscription.objects.values_list(
                    "pk", "subscriber_id", "newsletter_id", "status", "created_at"
                )
            ),
        )

    def change_form(self, **changes) -> dict:
        """The POST the subscriber's change page sends, as stored, plus changes."""
        subscriptions = list(self.ada.subscriptions.order_by("pk"))
        data = {
            "email": self.ada.email,
            "name": self.ada.name,
            "subscriptions-TOTAL_FORMS": str(len(subscriptions)),
            "subscriptions-INITIAL_FORMS": str(len(subscriptions)),
            "subscriptions-MIN_NUM_FORMS": "0",
            "subscriptions-MAX_NUM_FORMS": "1000",
        }
        for i, s in enumerate(subscriptions):
            data |= {
                f"subscriptions-{i}-id": s.pk,
                f"subscriptions-{i}-subscriber": self.ada.pk,
                f"subscriptions-{i}-newsletter": s.newsletter_id,
                f"subscriptions-{i}-status": s.status,
            }
        return data | changes

    def newsletter_editor(self) -> Client:
        from articles.roles import NEWSLETTER_EDITOR
        from tests.factories import make_role_user

        client = Client()
        client.force_login(make_role_user("nora", NEWSLETTER_EDITOR))
        return client

    def test_no_delete_in_code_takes_the_log_with_it(self):
        before = self.history()
        self.assertEqual(len(before[0]), 4)  # requested and confirmed, twice
        for row in (self.ada.subscriptions.first(), self.ada, self.weekly):
            with self.subTest(row=row), self.assertRaises(ProtectedError):
                row.delete()
        self.assertEqual(self.history(), before)

    def test_the_subscriber_page_has_no_delete_box_for_anyone(self):
        url = f"/admin/newsletter/subscriber/{self.ada.pk}/change/"
        for who, client in [
            ("superuser", self.client),
            ("newsletter editor", self.newsletter_editor()),
        ]:
            with self.subTest(who=who):
                page = client.get(url)
                self.assertContains(page, "Consent history")
                self.assertNotContains(page, 'name="subscriptions-0-DELETE"')

    def test_a_forged_delete_box_deletes_nothing(self):
        before = self.history()
        response = self.client.post(
            f"/admin/newsletter/subscriber/{self.ada.pk}/change/",
            self.change_form(
                **{"subscriptions-0-DELETE": "on", "subscriptions-1-DELETE": "on"}
            ),
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.history(), before)

    def test_a_subscription_cannot_be_moved_to_another_list(self):
        # Moving it would make the consent given for one list read as
        # consent to another.
        monthly = make_newsletter(name="Monthly", slug="monthly")
        before = self.history()
        self.client.post(
            f"/admin/newsletter/subscriber/{self.ada.pk}/change/",
            self.change_form(**{"subscriptions-0-newsletter": monthly.pk}),
        )
        self.assertEqual(self.history()[1], before[1])
        self.assertFalse(monthly.subscriptions.exists())

    def test_a_list_with_subscribers_stays_and_the_page_says_why(self):
        before = self.history()
        url = f"/admin/newsletter/newsletter/{self.weekly.pk}/delete/"
        page = self.client.get(url)
        self.assertContains(page, "Cannot delete newsletter")
        self.assertNotContains(page, "doesn't have permission")
        self.assertContains(page, "1 subscription and its consent history")
        self.assertContains(page, "untick “Is public”")
        self.assertContains(page, "Erase personal data")
        self.client.post(url, {"post": "yes"})
        delete_selected(self.client, "/admin/newsletter/newsletter/", [self.weekly.pk])
        self.assertTrue(Newsletter.objects.filter(pk=self.weekly.pk).exists())
        self.assertEqual(self.history(), before)

    def test_deleting_a_subscriber_says_what_to_do_instead(self):
        before = self.history()
        url = f"/admin/newsletter/subscriber/{self.ada.pk}/delete/"
        for method in ("get", "post"):
            with self.subTest(method=method):
                response = getattr(self.client, method)(url, {"post": "yes"})
                self.assertRedirects(
                    response,
                    f"/admin/newsletter/subscriber/{self.ada.pk}/change/",
                    fetch_redirect_response=False,  # it would read the message
                )
                page = self.client.get(response["Location"])
                self.assertContains(page, "never deleted")
                self.assertContains(page, "Unsubscribe selected from every list")
                self.assertContains(page, "Erase personal data")
        self.assertEqual(self.history(), before)

    def test_the_newsletter_editor_role_cannot_delete_consent(self):
        from articles.roles import NEWSLETTER_EDITOR

        perms = set(
            Group.objects.get(name=NEWSLETTER_EDITOR).permissions.values_list(
                "codename", flat=True
            )
        )
        for codename in [
            "delete_subscription",
            "add_subscriptionevent",
            "change_subscriptionevent",
            "delete_subscriptionevent",
        ]:
            self.assertNotIn(codename, perms)
        # Erasure stays theirs.
        self.assertIn("delete_subscriber", perms)

    def test_erasure_still_works_for_the_newsletter_editor(self):
        before = self.history()
        client = self.newsletter_editor()
        erase_from_the_admin(client, self.ada)
        self.ada.refresh_from_db()
        self.assertTrue(privacy.is_erased(self.ada))
        after = self.history()
        # Every event is still there; the subscriptions are closed, not gone.
        self.assertEqual(
            [e[:3] for e in after[0][: len(before[0])]], [e[:3] for e in before[0]]
        )
        self.assertEqual([s[:3] for s in after[1]], [s[:3] for s in before[1]])
        self.assertEqual({s[3] for s in after[1]}, {S.UNSUBSCRIBED})


class PersonalDataTestCase(SMTPTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.daily = default_newsletter()
        self.weekly = make_newsletter(name="Weekly", slug="weekly")
        self.user = make_user("chief", superuser=True)
        self.client.force_login(self.user)
        self.ada = sign_up_ada(self.daily, self.weekly, name="Ada Lovelace")
        self.bob = make_subscriber("bob@example.com", newsletters=[self.daily])
        # A sent edition, and one where Ada's server refused with her address.
        with self.captureOnCommitCallbacks(execute=True):
            self.sent = send(make_edition(self.daily, [make_brief()]))
        # A refusal that quotes her address and is not a bounce (a 5.1.1
        # would put the address on the suppression list for every list).
        self.sink.rcpt_replies["ada@example.com"] = (
            "552 5.2.2 <ada@example.com>: Recipient address rejected: mailbox full"
        )
        with self.captureOnCommitCallbacks(execute=True):
            self.refused = send(make_edition(self.weekly, [make_brief()]))
        Subscription.objects.filter(subscriber=self.ada, newsletter=self.weekly).update(
            status=S.CONFIRMED
        )
        SubscriberImport.objects.create(
            newsletter=self.daily,
            mode="confirmed",
            filename="list.csv",
            status="done",
            report=[
                {"line": 3, "email": " Ada@Example.com", "problem": "Same address"},
                {"line": 4, "email": "bob@example.com", "problem": "Same address"},
            ],
        )
        LogEntry.objects.log_actions(
            user_id=self.user.pk,
            queryset=[self.ada],
            action_flag=CHANGE,
            change_message="Changed name.",
            single_object=True,
        )

    def action(self, name, subscribers, **extra):
        return self.client.post(
            "/admin/newsletter/subscriber/",
            {
                "action": name,
                "_selected_action": [s.pk for s in subscribers],
                **extra,
            },
        )


class ExportTests(PersonalDataTestCase):
    def test_the_export_holds_everything_about_each_selected_reader(self):
        response = self.action("export_personal_data", [self.ada, self.bob])
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response["Content-Disposition"])
        data = json.loads(response.content)
        self.assertEqual(
            [d["email"] for d in data], ["ada@example.com", "bob@example.com"]
        )
        ada = data[0]
        self.assertEqual(ada["name"], "Ada Lovelace")
        daily = next(
            s for s in ada["subscriptions"] if s["newsletter"] == "The Daily Brief"
        )
        self.assertEqual(daily["consent_page"], "/briefs/ada-read-this/")
        self.assertEqual(
            [e["what"] for e in daily["history"]], ["requested", "confirmed"]
        )
        self.assertEqual(
            sorted((e["subject"], e["status"]) for e in ada["editions_sent"]),
            sorted([(self.sent.subject, "sent"), (self.refused.subject, "failed")]),
        )
        self.assertIn("Recipient address rejected", json.dumps(ada["editions_sent"]))

    def test_its_queries_grow_by_a_constant_per_reader(self):
        def queries(subscribers):
            with CaptureQueriesContext(connection) as ctx:
                self.action("export_personal_data", subscribers)
            return len(ctx.captured_queries)

        extra = [make_subscriber(newsletters=[self.daily]) for _ in range(4)]
        two = queries([self.ada, self.bob])
        six = queries([self.ada, self.bob, *extra])
        self.assertEqual((six - two) % 4, 0)
        # Subscriptions, consent events, editions sent, clicks with opens.
        self.assertLessEqual((six - two) // 4, 4)

    def test_only_staff_who_may_view_subscribers_can_export(self):
        editor = make_user("editor", staff=True)
        client = Client()
        client.force_login(editor)
        response = client.post(
            "/admin/newsletter/subscriber/",
            {"action": "export_personal_data", "_selected_action": [self.ada.pk]},
        )
        self.assertEqual(response.status_code, 403)


class ErasureTests(PersonalDataTestCase):
    def everything_stored(self) -> str:
        """Every newsletter row and the admin's log, as one text."""
        models = [
            Subscriber,
            Subscription,
            SubscriptionEvent,
            Delivery,
            SubscriberImport,
            LogEntry,
        ]
        return "".join(
            serializers.serialize("json", model.objects.all()) for model in models
        ).lower()

    def test_the_action_asks_first_and_changes_nothing_until_confirmed(self):
        before = self.everything_stored()
        page = self.action("erase_personal_data", [self.ada])
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "ada@example.com")
        self.assertContains(page, "Yes, erase")
        self.assertEqual(self.everything_stored(), before)

    def test_erasure_removes_the_person_and_keeps_the_anonymous_history(self):
        deliveries = list(
            Delivery.objects.order_by("pk").values_list("edition_id", "status")
        )
        counts = {e.pk: sending.progress(e.pk) for e in (self.sent, self.refused)}
        signups = SubscriptionEvent.objects.filter(kind="requested").count()
        response = self.action("erase_personal_data", [self.ada], confirm="yes")
        self.assertEqual(response.status_code, 302)

        stored = self.everything_stored()
        for trace in ("ada@example.com", "lovelace", "ada-read-this"):
            self.assertNotIn(trace, stored)
        self.assertIn("bob@example.com", stored)  # nobody else touched
        self.ada.refresh_from_db()
        self.assertEqual(self.ada.email, privacy.erased_address(self.ada.pk))
        self.assertEqual(self.ada.name, "")
        # The editions' ledgers still add up; the chart still counts the signup.
        self.assertEqual(
            list(Delivery.objects.order_by("pk").values_list("edition_id", "status")),
            deliveries,
        )
        self.assertEqual(
            {e.pk: sending.progress(e.pk) for e in (self.sent, self.refused)}, counts
        )
        self.assertEqual(
            SubscriptionEvent.objects.filter(kind="requested").count(), signups
        )
        self.assertFalse(self.ada.subscriptions.filter(status=S.CONFIRMED).exists())

    def test_an_erased_reader_gets_no_more_mail_and_can_come_back_as_new(self):
        self.action("erase_personal_data", [self.ada], confirm="yes")
        self.sink.messages.clear()
        with self.captureOnCommitCallbacks(execute=True):
            send(make_edition(self.daily, [make_brief()]))
        self.assertEqual(
            [m.rcpt_tos for m in self.sink.messages], [["bob@example.com"]]
        )
        with self.captureOnCommitCallbacks(execute=True):
            response = Client().post("/newsletter/", {"email": "ada@example.com"})
        self.assertEqual(response.status_code, 303)
        again = Subscriber.objects.get(email="ada@example.com")
        self.assertNotEqual(again.pk, self.ada.pk)
        self.assertEqual(again.subscriptions.get().status, S.PENDING)

    def test_her_old_links_no_longer_say_who_she_was(self):
        links = [
            f"/u/{tokens.unsubscribe_token(self.ada.pk, self.daily.pk)}/",
            f"/newsletter/preferences/{tokens.preferences_token(self.ada.pk)}/",
        ]
        self.action("erase_personal_data", [self.ada], confirm="yes")
        for link in links:
            response = Client().get(link)
            self.assertLess(response.status_code, 500)
            self.assertNotContains(
                response, "ada@example.com", status_code=response.status_code
            )

    def test_erasing_twice_is_harmless(self):
        self.action("erase_personal_data", [self.ada], confirm="yes")
        once = self.everything_stored()
        self.action("erase_personal_data", [self.ada], confirm="yes")
        self.assertEqual(self.everything_stored(), once)

    def test_subscribers_are_erased_not_deleted(self):
        page = self.client.get(f"/admin/newsletter/subscriber/{self.ada.pk}/delete/")
        self.assertRedirects(
            page, f"/admin/newsletter/subscriber/{self.ada.pk}/change/"
        )
        changelist = self.client.get("/admin/newsletter/subscriber/")
        actions = dict(changelist.context["action_form"].fields["action"].choices)
        self.assertNotIn("delete_selected", actions)
        self.assertIn("erase_personal_data", actions)

    def test_erasing_needs_the_permission_to_delete_subscribers(self):
        editor = make_user("editor", staff=True)
        editor.user_permissions.add(
            *Permission.objects.filter(
                content_type=ContentType.objects.get_for_model(Subscriber),
                codename__in=["view_subscriber", "change_subscriber"],
            )
        )
        client = Client()
        client.force_login(editor)
        changelist = client.get("/admin/newsletter/subscriber/")
        actions = dict(changelist.context["action_form"].fields["action"].choices)
        self.assertNotIn("erase_personal_data", actions)
        erase_from_the_admin(client, self.ada)
        self.ada.refresh_from_db()
        self.assertEqual(self.ada.email, "ada@example.com")


class LogsHoldNoTokensTests(SMTPTestMixin, TestCase):
    """What the newsletter logs while it works, through the site's handler."""

    def setUp(self):
        super().setUp()
        self.daily = default_newsletter()
        handlers = [
            h
            for h in logging.getLogger().handlers
            if any(isinstance(f, RedactSecrets) for f in h.filters)
        ]
        self.assertTrue(handlers, "no redacting handler on the root logger")
        self.output = io.StringIO()
        for handler in handlers:
            previous = handler.setStream(self.output)
            self.addCleanup(handler.setStream, previous)

    def test_signups_sends_failures_and_bad_links_log_no_working_link(self):
        readers = [
            make_subscriber(f"r{i}@example.com", newsletters=[self.daily])
            for i in range(3)
        ]
        self.sink.rcpt_replies["r1@example.com"] = "451 4.7.1 Try later"
        self.sink.data_replies["r2@example.com"] = "554 5.7.1 Rejected"
        with self.captureOnCommitCallbacks(execute=True):
            services.signup("new@example.com", [self.daily], source="footer")
            send(make_edition(self.daily, [make_brief()]))
        new = Subscriber.objects.get(email="new@example.com")
        links = []
        for subscriber in [*readers, new]:
            links += [
                tokens.unsubscribe_token(subscriber.pk, self.daily.pk),
                tokens.unsubscribe_token(subscriber.pk, None),
                tokens.preferences_token(subscriber.pk),
                tokens.confirmation_token(subscriber.pk),
            ]
        client = Client()
        for token in links:
            client.get(f"/u/{token}x/")
            client.get(f"/newsletter/confirm/{token}/")
            client.get(f"/newsletter/preferences/{token}/nothing-here/")
        # A confirmation the server refuses: the task fails and says so.
        self.sink.rcpt_replies["new@example.com"] = "451 4.7.1 Try later"
        Subscriber.objects.filter(pk=new.pk).update(
            last_request_mail_at=timezone.now() - timedelta(days=2)
        )
        with self.captureOnCommitCallbacks(execute=True):
            services.signup("new@example.com", [self.daily], source="footer")
        logged = self.output.getvalue()
        self.assertIn("Bad Request", logged)
        self.assertIn("Not Found", logged)
        self.assertIn("[redacted]", logged)
        for token in links:
            self.assertNotIn(token, logged)
