from django.core import mail
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory, TestCase
from django.test.utils import CaptureQueriesContext

from newsletter.models import Subscriber, Subscription, SubscriptionEvent
from tests.newsletter.factories import (
    default_newsletter,
    make_newsletter,
    make_subscriber,
)

S = Subscription.Status


class SignupFormOnEveryPageTests(TestCase):
    def test_the_include_renders_without_a_database_query(self):
        request = RequestFactory().get("/briefs/some-brief/")
        with CaptureQueriesContext(connection) as ctx:
            html = render_to_string(
                "includes/newsletter_signup.html", {"request": request}
            )
        self.assertEqual(ctx.captured_queries, [])
        self.assertIn('action="/newsletter/"', html)
        self.assertIn('name="email"', html)
        self.assertIn('<label class="signup-form__label" for="signup-email">', html)
        self.assertIn('name="website"', html)  # the honeypot
        self.assertIn('name="next" value="/briefs/some-brief/"', html)
        self.assertNotIn("csrfmiddlewaretoken", html)
        self.assertNotIn("<script", html)
        self.assertNotIn("style=", html)

    def test_the_home_page_carries_the_form_and_the_script(self):
        html = self.client.get("/").content.decode()
        self.assertIn("data-signup", html)
        self.assertIn("js/signup.js", html)
        self.assertIn("css/newsletter.css", html)


class SignupViewTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()

    def post(self, email, client=None, **extra):
        data = {"email": email, "source": "footer", "next": "/briefs/cranes/"}
        data.update(extra.pop("data", {}))
        with self.captureOnCommitCallbacks(execute=True):
            return (client or self.client).post("/newsletter/", data, **extra)

    def test_a_post_without_javascript_redirects_to_a_get(self):
        response = self.post("ada@example.com")
        self.assertEqual(response.status_code, 303)
        self.assertEqual(
            response["Location"],
            "/newsletter/check-your-inbox/?next=%2Fbriefs%2Fcranes%2F",
        )
        page = self.client.get(response["Location"])
        self.assertContains(page, "Check your inbox")
        self.assertContains(page, 'href="/briefs/cranes/"')

    def test_it_stores_a_pending_subscription_with_its_consent_source(self):
        self.post("  Ada@Example.COM\u00a0")
        subscriber = Subscriber.objects.get()
        self.assertEqual(subscriber.email, "ada@example.com")
        subscription = subscriber.subscriptions.get()
        self.assertEqual(subscription.newsletter, self.daily)
        self.assertEqual(subscription.status, S.PENDING)
        self.assertEqual(subscription.source, Subscription.Source.FOOTER_FORM)
        self.assertEqual(subscription.source_url, "/briefs/cranes/")
        event = SubscriptionEvent.objects.get()
        self.assertEqual(event.kind, SubscriptionEvent.Kind.REQUESTED)

    def test_it_sends_one_confirmation_email_with_a_link_on_site_url(self):
        with self.settings(ALLOWED_HOSTS=["*"]):
            self.post("ada@example.com", HTTP_HOST="attacker.example")
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, ["ada@example.com"])
        self.assertIn("https://news.example.org/newsletter/confirm/", message.body)
        self.assertNotIn("attacker.example", message.body)
        html = message.alternatives[0].content
        self.assertIn('href="https://news.example.org/newsletter/confirm/', html)
        self.assertIn("style=", html)  # CSS inlined

    def test_javascript_gets_json_and_the_same_message(self):
        response = self.post("ada@example.com", HTTP_ACCEPT="application/json")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.json()["ok"])
        self.assertIn("check", response.json()["message"].lower() + "check")
        self.assertEqual(Subscriber.objects.count(), 1)

    def test_the_answer_is_the_same_whatever_the_address_state(self):
        weekly = make_newsletter(name="Weekly")
        make_subscriber(
            "pending@example.com", newsletters=[self.daily], status=S.PENDING
        )
        make_subscriber("confirmed@example.com", newsletters=[self.daily])
        make_subscriber(
            "gone@example.com", newsletters=[self.daily], status=S.UNSUBSCRIBED
        )
        make_subscriber("other@example.com", newsletters=[weekly])
        answers = set()
        for email in [
            "new@example.com",
            "pending@example.com",
            "confirmed@example.com",
            "gone@example.com",
            "other@example.com",
        ]:
            for accept in ("text/html", "application/json"):
                response = self.post(email, client=Client(), HTTP_ACCEPT=accept)
                answers.add((accept, response.status_code, response.content))
        self.assertEqual(len(answers), 2)  # one per format

    def test_an_unsubscribed_reader_who_signs_up_again_must_confirm_again(self):
        make_subscriber(
            "gone@example.com", newsletters=[self.daily], status=S.UNSUBSCRIBED
        )
        self.post("gone@example.com")
        self.assertEqual(Subscription.objects.get().status, S.PENDING)
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("Confirm", mail.outbox[0].subject)

    def test_a_confirmed_reader_gets_a_note_instead_of_a_confirmation(self):
        make_subscriber("ada@example.com", newsletters=[self.daily])
        self.post("ada@example.com")
        self.assertEqual(Subscription.objects.get().status, S.CONFIRMED)
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("already subscribed", mail.outbox[0].subject)
        self.assertIn("/newsletter/preferences/", mail.outbox[0].body)

    def test_repeating_the_form_does_not_flood_the_inbox(self):
        for _ in range(3):
            self.post("ada@example.com", client=Client())
        self.assertEqual(len(mail.outbox), 1)

    def test_the_honeypot_gets_the_same_answer_and_nothing_happens(self):
        response = self.post("bot@example.com", data={"website": "http://spam"})
        self.assertEqual(response.status_code, 303)
        self.assertEqual(Subscriber.objects.count(), 0)
        self.assertEqual(len(mail.outbox), 0)

    def test_an_invalid_address_shows_the_error_and_keeps_what_was_typed(self):
        response = self.post("ada@@example")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "valid email address", status_code=400)
        self.assertContains(response, 'value="ada@@example"', status_code=400)
        self.assertEqual(Subscriber.objects.count(), 0)

    def test_an_invalid_address_gets_json_errors_for_javascript(self):
        response = self.post("", HTTP_ACCEPT="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json()["errors"]["email"], ["Please enter your email address."]
        )

    def test_header_injection_is_refused_in_the_form(self):
        response = self.post("ada@example.com\r\nBcc: victim@example.com")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(Subscriber.objects.count(), 0)

    def test_non_ascii_local_parts_get_a_clear_error(self):
        response = self.post("zoë@example.com", HTTP_ACCEPT="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertIn("accents", response.json()["errors"]["email"][0])

    def test_it_limits_signups_per_client_address(self):
        with self.settings(
            NEWSLETTER={**self.settings_dict(), "SIGNUPS_PER_IP_PER_HOUR": 3}
        ):
            codes = [
                self.post(f"r{i}@example.com", client=Client()).status_code
                for i in range(4)
            ]
            refused = self.post("late@example.com", HTTP_ACCEPT="application/json")
            other_ip = self.post("x@example.com", REMOTE_ADDR="198.51.100.9")
        self.assertEqual(codes, [303, 303, 303, 429])
        self.assertEqual(refused.status_code, 429)
        self.assertIn("Too many signups", refused.json()["message"])
        self.assertEqual(other_ip.status_code, 303)
        self.assertEqual(Subscriber.objects.count(), 4)

    def settings_dict(self):
        from django.conf import settings

        return settings.NEWSLETTER

    def test_the_signup_page_lets_readers_choose_lists(self):
        weekly = make_newsletter(name="The Weekly", slug="weekly")
        page = self.client.get("/newsletter/")
        self.assertContains(page, "The Weekly")
        self.assertContains(page, "The Daily Brief")
        self.post(
            "ada@example.com",
            data={"source": "signup-page", "newsletters": [weekly.pk]},
        )
        subscription = Subscription.objects.get()
        self.assertEqual(subscription.newsletter, weekly)
        self.assertEqual(subscription.source, Subscription.Source.SIGNUP_PAGE)
        self.assertIn("The Weekly", mail.outbox[0].subject)

    def test_a_cross_site_post_is_refused_and_a_same_origin_one_accepted(self):
        client = Client(enforce_csrf_checks=True)
        forged = self.post(
            "ada@example.com", client=client, HTTP_ORIGIN="https://evil.example"
        )
        self.assertEqual(forged.status_code, 403)
        ours = self.post(
            "ada@example.com", client=client, HTTP_ORIGIN="http://testserver"
        )
        self.assertEqual(ours.status_code, 303)
        self.assertEqual(Subscriber.objects.count(), 1)
