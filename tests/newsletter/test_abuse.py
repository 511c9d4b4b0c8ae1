"""Abuse controls on the signup form: limits per client and per address,
429s a person can act on, and one request mail per address per day.

The limits count in the cache (newsroom/ratelimit.py); the client address
comes from newsroom/clientip.py, so a forged X-Forwarded-For cannot choose
the bucket it is counted in.
"""

from datetime import timedelta

import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from newsletter.models import Subscriber, Subscription
from tests.newsletter.factories import default_newsletter, make_subscriber

S = Subscription.Status


class SignupLimitTestCase(TestCase):
    ip_limit = 3
    address_limit = 2

    def setUp(self):
        self.daily = default_newsletter()
        override = self.settings(
            NEWSLETTER={
                **settings.NEWSLETTER,
                "SIGNUPS_PER_IP_PER_HOUR": self.ip_limit,
                "SIGNUPS_PER_ADDRESS_PER_HOUR": self.address_limit,
            }
        )
        override.enable()
        self.addCleanup(override.disable)

    def post(self, email, *, ip="198.51.100.1", json=False, **extra):
        headers = {"REMOTE_ADDR": ip, **extra}
        if json:
            headers["HTTP_ACCEPT"] = "application/json"
        with self.captureOnCommitCallbacks(execute=True):
            return Client().post(
                "/newsletter/",
                {"email": email, "source": "footer", "next": "/briefs/x/"},
                **headers,
            )


class PerClientLimitTests(SignupLimitTestCase):
    def test_past_the_limit_the_answer_is_429_with_retry_after(self):
        codes = [self.post(f"r{i}@example.com").status_code for i in range(3)]
        refused = self.post("late@example.com")
        self.assertEqual(codes, [303, 303, 303])
        self.assertEqual(refused.status_code, 429)
        wait = int(refused["Retry-After"])
        self.assertTrue(1 <= wait <= 3600, wait)

    def test_the_429_page_says_when_to_retry_and_keeps_what_was_typed(self):
        for i in range(3):
            self.post(f"r{i}@example.com")
        refused = self.post("late@example.com")
        minutes = -(-int(refused["Retry-After"]) // 60)
        self.assertContains(refused, "Too many signups", status_code=429)
        self.assertContains(
            refused,
            f"try again in {minutes} minute{'s' if minutes != 1 else ''}",
            status_code=429,
        )
        self.assertContains(refused, 'value="late@example.com"', status_code=429)
        self.assertEqual(Subscriber.objects.filter(email="late@example.com").count(), 0)

    def test_javascript_gets_the_same_message_as_json_with_the_header(self):
        for i in range(3):
            self.post(f"r{i}@example.com")
        refused = self.post("late@example.com", json=True)
        self.assertEqual(refused.status_code, 429)
        self.assertIn("Retry-After", refused)
        self.assertFalse(refused.json()["ok"])
        self.assertIn("try again in", refused.json()["message"])

    def test_the_allowance_comes_back_the_next_hour_and_no_more(self):
        for i in range(10):
            self.post(f"r{i}@example.com")
        with time_machine.travel(timezone.now() + timedelta(minutes=61)):
            codes = [self.post(f"n{i}@example.com").status_code for i in range(4)]
        # A fresh hour: the allowance again, not more.
        self.assertEqual(codes, [303, 303, 303, 429])

    def test_another_client_is_not_held_back(self):
        for i in range(4):
            self.post(f"r{i}@example.com")
        self.assertEqual(self.post("x@example.com", ip="203.0.113.9").status_code, 303)

    def test_ipv6_clients_are_counted_per_64(self):
        codes = [
            self.post(f"r{i}@example.com", ip=f"2001:db8:1:2::{i + 1}").status_code
            for i in range(4)
        ]
        self.assertEqual(codes, [303, 303, 303, 429])


class ForwardedForTests(SignupLimitTestCase):
    def codes(self, count, forwarded, **kwargs):
        """The answers to `count` signups of r0@, r1@… whose X-Forwarded-For
        is `forwarded` with {i} their number."""
        return [
            self.post(
                f"r{i}@example.com",
                HTTP_X_FORWARDED_FOR=forwarded.format(i=i),
                **kwargs,
            ).status_code
            for i in range(count)
        ]

    def test_without_trusted_proxies_the_header_is_ignored(self):
        codes = self.codes(4, "192.0.2.{i}")
        self.assertEqual(codes, [303, 303, 303, 429])

    def test_a_spoofed_hop_before_our_proxy_does_not_reset_the_count(self):
        # The client sends a forged header; our proxy (10.0.0.1) appends the
        # address it really saw. Only that one is counted.
        with self.settings(TRUSTED_PROXIES=["10.0.0.1"]):
            codes = self.codes(5, "192.0.2.{i}, 203.0.113.7", ip="10.0.0.1")
            other = self.post(
                "y@example.com", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8"
            )
        self.assertEqual(codes, [303, 303, 303, 429, 429])
        self.assertEqual(other.status_code, 303)

    def test_an_untrusted_peer_cannot_claim_to_be_someone_else(self):
        with self.settings(TRUSTED_PROXIES=["10.0.0.1"]):
            codes = self.codes(4, "10.0.0.1, 192.0.2.{i}", ip="198.51.100.50")
        self.assertEqual(codes, [303, 303, 303, 429])


class PerAddressLimitTests(SignupLimitTestCase):
    ip_limit = 100

    def test_one_address_from_many_clients_is_limited(self):
        spellings = ["ada@example.com", "ADA@Example.com", "  ada@example.COM "]
        codes = [
            self.post(spellings[i % 3], ip=f"192.0.2.{i}").status_code for i in range(4)
        ]
        self.assertEqual(codes, [303, 303, 429, 429])
        refused = self.post("ada@example.com", ip="192.0.2.99")
        self.assertContains(refused, "look for our email", status_code=429)
        self.assertGreaterEqual(int(refused["Retry-After"]), 1)

    def test_other_addresses_from_the_same_clients_still_get_through(self):
        for i in range(3):
            self.post("ada@example.com", ip=f"192.0.2.{i}")
        self.assertEqual(self.post("bob@example.com", ip="192.0.2.1").status_code, 303)

    def test_the_answer_does_not_depend_on_whether_the_address_is_subscribed(self):
        make_subscriber("known@example.com", newsletters=[self.daily])
        answers = []
        for email in ("known@example.com", "unknown@example.com"):
            for i in range(3):
                response = self.post(email, ip=f"192.0.2.{i}")
            answers.append(
                (response.status_code, response.content.replace(email.encode(), b""))
            )
        self.assertEqual(answers[0], answers[1])
        self.assertEqual(answers[0][0], 429)

    def test_invalid_input_is_a_form_error_not_a_count(self):
        for _ in range(5):
            self.assertEqual(self.post("not an address").status_code, 400)
        self.assertEqual(self.post("ada@example.com").status_code, 303)


class RequestMailOncePerDayTests(SignupLimitTestCase):
    ip_limit = 1000
    address_limit = 1000

    def test_an_address_submitted_all_day_gets_one_confirmation(self):
        start = timezone.now()
        spellings = ["ada@example.com", "Ada@Example.com", "\u00a0ada@example.com "]
        for hour in range(0, 24, 2):
            with time_machine.travel(start + timedelta(hours=hour, minutes=1)):
                for spelling in spellings:
                    self.assertEqual(self.post(spelling).status_code, 303)
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].to, ["ada@example.com"])
        self.assertIn("Confirm", mail.outbox[0].subject)
        with time_machine.travel(start + timedelta(hours=24, minutes=2)):
            self.post("ada@example.com")
        # A day later the reader who lost the mail can ask again.
        self.assertEqual(len(mail.outbox), 2)

    def test_a_confirmed_reader_gets_one_note_a_day_too(self):
        make_subscriber("ada@example.com", newsletters=[self.daily])
        for i in range(20):
            self.post("ada@example.com", ip=f"192.0.2.{i}")
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("already subscribed", mail.outbox[0].subject)

    def test_every_submission_gets_the_same_answer(self):
        answers = {
            (r.status_code, r["Location"])
            for r in (self.post("ada@example.com") for _ in range(5))
        }
        self.assertEqual(len(answers), 1)
        self.assertEqual(Subscriber.objects.count(), 1)
        self.assertEqual(Subscription.objects.get().status, S.PENDING)
