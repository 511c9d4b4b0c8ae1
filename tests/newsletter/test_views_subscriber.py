import re
from datetime import timedelta

import time_machine
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from newsletter import services, tokens
from newsletter.models import (
    Delivery,
    Edition,
    Subscriber,
    Subscription,
    SubscriptionEvent,
)
from tests.factories import make_brief
from tests.newsletter.factories import (
    default_newsletter,
    make_edition,
    make_newsletter,
    make_subscriber,
)

S = Subscription.Status


class ConfirmViewTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()
        self.subscriber = make_subscriber(
            "ada@example.com", newsletters=[self.daily], status=S.PENDING
        )
        self.url = (
            f"/newsletter/confirm/{tokens.confirmation_token(self.subscriber.pk)}/"
        )

    def status(self):
        return self.subscriber.subscriptions.get().status

    def post(self, url=None):
        with self.captureOnCommitCallbacks(execute=True):
            return Client(enforce_csrf_checks=True).post(
                url or self.url, HTTP_ORIGIN="http://testserver"
            )

    def test_opening_the_link_only_shows_a_button(self):
        response = self.client.get(self.url)
        self.assertContains(response, "Yes, subscribe me")
        self.assertContains(response, '<form method="post">')
        self.assertEqual(self.status(), S.PENDING)
        self.assertEqual(len(mail.outbox), 0)

    def test_the_post_confirms_redirects_and_sends_one_welcome(self):
        response = self.post()
        self.assertEqual(response.status_code, 303)
        self.assertEqual(response["Location"], self.url)
        self.assertEqual(self.status(), S.CONFIRMED)
        self.assertContains(self.client.get(self.url), "You're subscribed")
        self.assertEqual(
            [m.subject for m in mail.outbox], ["Welcome to The Daily Brief"]
        )
        self.assertEqual(
            SubscriptionEvent.objects.filter(
                kind=SubscriptionEvent.Kind.CONFIRMED
            ).count(),
            1,
        )

    def test_confirming_twice_sends_no_second_welcome(self):
        self.post()
        self.post()
        self.assertEqual(len(mail.outbox), 1)

    def test_the_welcome_carries_one_click_unsubscribe_headers(self):
        self.post()
        headers = mail.outbox[0].extra_headers
        self.assertEqual(headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        self.assertRegex(
            headers["List-Unsubscribe"], r"^<https://news\.example\.org/u/[\w.-]+/>$"
        )
        self.assertIn("<daily.news.example.org>", headers["List-Id"])

    def test_a_cross_site_post_cannot_confirm(self):
        response = Client(enforce_csrf_checks=True).post(
            self.url, HTTP_ORIGIN="https://evil.example"
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.status(), S.PENDING)

    def test_an_expired_link_says_so(self):
        with time_machine.travel(timezone.now() + timedelta(days=8)):
            response = self.client.get(self.url)
            posted = self.post()
        self.assertContains(response, "expired", status_code=410)
        self.assertEqual(posted.status_code, 410)
        self.assertEqual(self.status(), S.PENDING)

    def test_a_forged_link_is_refused(self):
        response = self.client.get("/newsletter/confirm/1:abc:def/")
        self.assertContains(response, "does not work", status_code=400)
        self.assertEqual(self.post("/newsletter/confirm/1:abc:def/").status_code, 400)

    def test_a_link_for_an_address_that_left_confirms_nothing(self):
        Subscription.objects.update(status=S.UNSUBSCRIBED)
        self.assertContains(self.client.get(self.url), "Nothing to confirm")
        self.post()
        self.assertEqual(self.status(), S.UNSUBSCRIBED)


class OneClickUnsubscribeTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()
        self.weekly = make_newsletter(name="The Weekly", slug="weekly")
        self.subscriber = make_subscriber(
            "ada@example.com", newsletters=[self.daily, self.weekly]
        )
        self.url = f"/u/{tokens.unsubscribe_token(self.subscriber.pk, self.daily.pk)}/"

    def statuses(self):
        return dict(
            self.subscriber.subscriptions.values_list("newsletter__slug", "status")
        )

    def test_a_post_without_cookie_or_token_unsubscribes_and_answers_200(self):
        client = Client(enforce_csrf_checks=True)
        response = client.post(
            self.url,
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "You're unsubscribed")
        self.assertEqual(
            self.statuses(), {"daily": S.UNSUBSCRIBED, "weekly": S.CONFIRMED}
        )
        event = SubscriptionEvent.objects.get(kind=SubscriptionEvent.Kind.UNSUBSCRIBED)
        self.assertEqual(event.source, "one-click")

    def test_a_get_only_asks(self):
        response = self.client.get(self.url)
        self.assertContains(response, "Stop sending <strong>The Daily Brief</strong>")
        self.assertEqual(self.statuses()["daily"], S.CONFIRMED)

    def test_it_is_idempotent(self):
        for _ in range(2):
            self.assertEqual(Client().post(self.url).status_code, 200)
        self.assertEqual(SubscriptionEvent.objects.count(), 1)

    def test_a_token_for_every_list_leaves_them_all(self):
        url = f"/u/{tokens.unsubscribe_token(self.subscriber.pk, None)}/"
        Client().post(url)
        self.assertEqual(set(self.statuses().values()), {S.UNSUBSCRIBED})

    def test_a_forged_token_changes_nothing(self):
        response = Client().post(f"/u/{self.subscriber.pk}.1.forgedforgedforged/")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(self.statuses().values()), {S.CONFIRMED})

    def test_pending_deliveries_of_a_running_send_are_skipped(self):
        edition = make_edition(
            self.daily, [make_brief()], status=Edition.Status.SENDING
        )
        delivery = Delivery.objects.create(edition=edition, subscriber=self.subscriber)
        Client().post(self.url)
        delivery.refresh_from_db()
        self.assertEqual(delivery.status, Delivery.Status.SKIPPED)


class PreferencesViewTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()
        self.weekly = make_newsletter(name="The Weekly", slug="weekly")
        self.hidden = make_newsletter(name="Staff only", slug="staff", is_public=False)
        self.subscriber = make_subscriber(
            "ada@example.com", newsletters=[self.daily, self.hidden]
        )
        self.url = (
            f"/newsletter/preferences/{tokens.preferences_token(self.subscriber.pk)}/"
        )

    def statuses(self):
        return dict(
            self.subscriber.subscriptions.values_list("newsletter__slug", "status")
        )

    def test_it_shows_public_lists_with_the_current_ones_ticked(self):
        html = self.client.get(self.url).content.decode()
        self.assertIn("The Weekly", html)
        self.assertNotIn("Staff only", html)
        self.assertRegex(html, rf'value="{self.daily.pk}"[^>]*checked')
        self.assertNotRegex(html, rf'value="{self.weekly.pk}"[^>]*checked')

    def test_choosing_lists_joins_and_leaves_without_a_new_confirmation(self):
        response = Client(enforce_csrf_checks=True).post(
            self.url, {"newsletters": [self.weekly.pk]}, HTTP_ORIGIN="http://testserver"
        )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(
            self.statuses(),
            {"daily": S.UNSUBSCRIBED, "weekly": S.CONFIRMED, "staff": S.CONFIRMED},
        )
        self.assertContains(self.client.get(response["Location"]), "Saved.")

    def test_unsubscribe_from_all_leaves_every_list(self):
        response = Client().post(self.url, {"unsubscribe_all": ""})
        self.assertEqual(response.status_code, 303)
        self.assertEqual(set(self.statuses().values()), {S.UNSUBSCRIBED})
        self.assertContains(
            self.client.get(response["Location"]), "unsubscribed from all"
        )

    def test_an_unknown_list_is_a_form_error_not_a_crash(self):
        response = Client().post(self.url, {"newsletters": ["99999"]})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.statuses()["daily"], S.CONFIRMED)

    def test_a_forged_link_is_refused(self):
        response = self.client.get("/newsletter/preferences/1.AAAAAAAAAAAAAAAA/")
        self.assertContains(response, "does not work", status_code=400)


class FreshOptInTests(TestCase):
    """A list that bounced or was marked as spam comes back only through a
    confirmation email, never by ticking it on the preferences page."""

    def setUp(self):
        self.daily = default_newsletter()
        self.weekly = make_newsletter(name="The Weekly", slug="weekly")
        with self.captureOnCommitCallbacks(execute=True):
            services.signup(
                "ada@example.com", [self.daily, self.weekly], source="footer"
            )
        self.ada = Subscriber.objects.get()
        with self.captureOnCommitCallbacks(execute=True):
            services.confirm(self.ada)
        mail.outbox.clear()
        self.url = f"/newsletter/preferences/{tokens.preferences_token(self.ada.pk)}/"

    def weekly_status(self):
        return self.ada.subscriptions.get(newsletter=self.weekly).status

    def save(self, *newsletters):
        with self.captureOnCommitCallbacks(execute=True):
            return Client(enforce_csrf_checks=True).post(
                self.url,
                {"newsletters": [n.pk for n in newsletters]},
                HTTP_ORIGIN="http://testserver",
            )

    def test_ticking_it_again_mails_a_link_instead_of_resubscribing(self):
        for status in (S.BOUNCED, S.COMPLAINED):
            with self.subTest(status=status):
                mail.outbox.clear()
                self.ada.refresh_from_db()
                Subscriber.objects.filter(pk=self.ada.pk).update(
                    last_request_mail_at=None
                )
                services.unsubscribe(
                    self.ada, self.weekly, source="smtp", status=status
                )

                response = self.save(self.daily, self.weekly)

                self.assertEqual(response.status_code, 303)
                self.assertEqual(self.weekly_status(), S.PENDING)
                self.assertEqual(
                    [m.subject for m in mail.outbox],
                    ["Confirm your subscription to The Weekly"],
                )
                page = self.client.get(response["Location"])
                self.assertContains(page, "open the link in the confirmation email")
                self.assertContains(page, "The Weekly")
                # The box stays ticked, marked as waiting; saving again as it
                # stands confirms nothing and mails no second link today.
                html = page.content.decode()
                self.assertRegex(html, rf'value="{self.weekly.pk}"[^>]*checked')
                self.assertContains(page, "waiting for you to confirm")
                self.save(self.daily, self.weekly)
                self.assertEqual(self.weekly_status(), S.PENDING)
                self.assertEqual(len(mail.outbox), 1)

                # The link in the email is the way back.
                link = re.search(r"/newsletter/confirm/[^/\s]+/", mail.outbox[0].body)
                with self.captureOnCommitCallbacks(execute=True):
                    Client(enforce_csrf_checks=True).post(
                        link.group(0), HTTP_ORIGIN="http://testserver"
                    )
                self.assertEqual(self.weekly_status(), S.CONFIRMED)
                kinds = list(
                    SubscriptionEvent.objects.filter(
                        subscription__newsletter=self.weekly
                    )
                    .order_by("-pk")
                    .values_list("kind", flat=True)[:3]
                )
                self.assertEqual(kinds, ["confirmed", "requested", status])

    def test_lists_that_were_only_unsubscribed_still_come_back_at_once(self):
        # The signed link proves the inbox; nothing bounced or complained.
        services.unsubscribe(self.ada, self.weekly, source="preferences")
        self.save(self.daily, self.weekly)
        self.assertEqual(self.weekly_status(), S.CONFIRMED)
        self.assertEqual(mail.outbox, [])
