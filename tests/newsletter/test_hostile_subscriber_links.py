"""Hostile input to the reader's own pages: tampered, truncated, expired and
cross-subscriber links to confirm, unsubscribe and preferences are refused
with the same answer, reveal nothing and change nothing; junk choices on the
preferences form are form errors; archive addresses out of range are 404s."""

from datetime import timedelta
from urllib.parse import quote

import time_machine
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from newsletter import tokens
from newsletter.models import Subscription, SubscriptionEvent
from tests.newsletter.factories import (
    default_newsletter,
    make_newsletter,
    make_subscriber,
)
from tests.newsletter.hostile import INVISIBLE, tried

S = Subscription.Status


class PreferencesInputTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()
        self.reader = make_subscriber("ada@example.com", newsletters=[self.daily])
        self.url = (
            f"/newsletter/preferences/{tokens.preferences_token(self.reader.pk)}/"
        )

    def test_junk_choices_are_form_errors_and_change_nothing(self):
        for value in [
            *INVISIBLE,
            "1\x00",
            "-1",
            "1e9",
            "9" * 40,
            "' OR 1=1 --",
            "",
        ]:
            tried()
            with self.subTest(value=value):
                response = Client().post(self.url, {"newsletters": [value]})
                self.assertIn(response.status_code, (303, 400))
        self.assertEqual(self.reader.subscriptions.get().status, S.CONFIRMED)
        tried()
        response = Client().post(self.url, {"newsletters": ["x"] * 5000})
        self.assertEqual(response.status_code, 400)


# Tokens ------------------------------------------------------------------------


class TokenTests(TestCase):
    """Every way of getting a link wrong gets the same refusal and changes
    nothing; nothing in the answer depends on who the link was for."""

    def setUp(self):
        self.daily = default_newsletter()
        self.weekly = make_newsletter(name="Weekly", slug="weekly")
        self.ada = make_subscriber(
            "ada@example.com", newsletters=[self.daily, self.weekly]
        )
        self.bob = make_subscriber(
            "bob@example.com", newsletters=[self.daily], status=S.PENDING
        )

    def state(self):
        return (
            sorted(
                Subscription.objects.values_list(
                    "subscriber_id", "newsletter_id", "status"
                )
            ),
            SubscriptionEvent.objects.count(),
            len(mail.outbox),
        )

    def bad_tokens(self, good: str, other: str, sep: str) -> list[str]:
        """Tampered, truncated, extended and swapped versions of `good`;
        `other` is another reader's valid token of the same kind."""
        bad = [good[:n] for n in range(len(good))]  # every truncation
        for i in range(0, len(good), 2):  # one character changed, all along
            c = good[i]
            bad.append(good[:i] + ("A" if c != "A" else "B") + good[i + 1 :])
        bad += [
            good + "x",
            good + ".0",
            good.upper(),
            good.replace(".", ":"),
            # Another reader's id with this reader's MAC, and the reverse.
            sep.join([other.split(sep)[0], *good.split(sep)[1:]]),
            sep.join([good.split(sep)[0], *other.split(sep)[1:]]),
            quote("../" + good),
            "%00" + good,
            good + "%0d%0aX-Injected:%201",
        ]
        return [b for b in bad if b and b != good]

    def assert_refused_alike(
        self, url_for, good, other, sep=".", methods=("get", "post")
    ):
        reference = {}
        before = self.state()
        for method in methods:
            reference[method] = getattr(Client(), method)(url_for("garbage"))
            self.assertEqual(reference[method].status_code, 400)
        for token in self.bad_tokens(good, other, sep):
            for method in methods:
                tried()
                with self.subTest(token=token, method=method):
                    response = getattr(Client(), method)(url_for(token))
                    if response.status_code == 404:
                        continue  # not even a route: Django's own 404
                    self.assertEqual(response.status_code, 400)
                    self.assertEqual(response.content, reference[method].content)
                    self.assertNotIn(b"ada@example.com", response.content)
                    self.assertNotIn(b"bob@example.com", response.content)
        self.assertEqual(self.state(), before)

    def test_unsubscribe_links(self):
        good = tokens.unsubscribe_token(self.ada.pk, self.daily.pk)
        other = tokens.unsubscribe_token(self.bob.pk, self.daily.pk)
        self.assert_refused_alike(lambda t: f"/u/{t}/", good, other)
        # A token for another list, or a preferences token, is not this one.
        for token in (
            tokens.preferences_token(self.ada.pk),
            tokens.unsubscribe_token(self.ada.pk, 999),
        ):
            tried()
            self.assertEqual(Client().post(f"/u/{token}/").status_code, 400)

    def test_preferences_links(self):
        good = tokens.preferences_token(self.ada.pk)
        other = tokens.preferences_token(self.bob.pk)
        self.assert_refused_alike(
            lambda t: f"/newsletter/preferences/{t}/", good, other
        )
        tried()
        unsubscribe = tokens.unsubscribe_token(self.ada.pk, None)
        response = Client().post(
            f"/newsletter/preferences/{unsubscribe}/", {"unsubscribe_all": ""}
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.ada.subscriptions.filter(status=S.CONFIRMED).count(), 2)

    def test_confirmation_links(self):
        good = tokens.confirmation_token(self.bob.pk)
        other = tokens.confirmation_token(self.ada.pk)
        self.assert_refused_alike(
            lambda t: f"/newsletter/confirm/{t}/", good, other, sep=":"
        )

    def test_an_expired_confirmation_changes_nothing_and_names_nobody(self):
        token = tokens.confirmation_token(self.bob.pk)
        before = self.state()
        with time_machine.travel(timezone.now() + timedelta(days=30)):
            for method in ("get", "post"):
                tried()
                response = getattr(Client(), method)(f"/newsletter/confirm/{token}/")
                self.assertEqual(response.status_code, 410)
                self.assertNotIn(b"bob@example.com", response.content)
        self.assertEqual(self.state(), before)

    def test_links_of_a_deleted_reader_change_nothing_and_do_not_crash(self):
        links = [
            f"/u/{tokens.unsubscribe_token(self.bob.pk, self.daily.pk)}/",
            f"/newsletter/preferences/{tokens.preferences_token(self.bob.pk)}/",
            f"/newsletter/confirm/{tokens.confirmation_token(self.bob.pk)}/",
        ]
        # Gone from the database (before the consent log was protected, or
        # by hand): only the rows' own history has to go first now.
        SubscriptionEvent.objects.filter(subscription__subscriber=self.bob).delete()
        self.bob.subscriptions.all().delete()
        self.bob.delete()
        before = self.state()
        for link in links:
            for method in ("get", "post"):
                tried()
                response = getattr(Client(), method)(link)
                self.assertLess(response.status_code, 500)
                self.assertNotIn(b"bob@example.com", response.content)
        self.assertEqual(self.state(), before)

    def test_archive_addresses_out_of_range_are_404s(self):
        for path in [
            "/newsletter/archive/daily/99999999999999999999999999/",
            "/newsletter/archive/daily/9223372036854775808/",
            "/newsletter/archive/daily/0/",
            "/newsletter/archive/no-such-list/",
            "/newsletter/archive/daily/1/?page=99999999999999999999",
            "/newsletter/archive/?page=-1",
            "/newsletter/archive/?page=%00",
        ]:
            tried()
            with self.subTest(path=path):
                self.assertEqual(Client().get(path).status_code, 404)
