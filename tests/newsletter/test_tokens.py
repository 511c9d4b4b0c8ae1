from datetime import timedelta

import time_machine
from django.test import SimpleTestCase, override_settings
from django.utils import timezone

from newsletter import tokens


class UnsubscribeTokenTests(SimpleTestCase):
    def test_it_round_trips_a_subscriber_and_a_list(self):
        token = tokens.unsubscribe_token(123456, 7)
        self.assertEqual(tokens.read_unsubscribe_token(token), (123456, 7))

    def test_no_list_means_every_list(self):
        token = tokens.unsubscribe_token(5, None)
        self.assertEqual(tokens.read_unsubscribe_token(token), (5, None))

    def test_it_is_short_and_safe_in_urls_and_quoted_printable(self):
        token = tokens.unsubscribe_token(10**9, 99)
        self.assertLessEqual(len(token), 32)
        self.assertRegex(token, r"^[A-Za-z0-9._-]+$")

    def test_a_changed_id_or_list_is_refused(self):
        token = tokens.unsubscribe_token(5, 1)
        ids, list_id, mac = token.split(".")
        self.assertIsNone(tokens.read_unsubscribe_token(f"6.{list_id}.{mac}"))
        self.assertIsNone(tokens.read_unsubscribe_token(f"{ids}.2.{mac}"))
        for junk in ["", "a.b", "zz.zz.zz", "..", f"{token}x", "!!.1.abc"]:
            self.assertIsNone(tokens.read_unsubscribe_token(junk), junk)

    def test_a_preferences_token_is_not_an_unsubscribe_token(self):
        preferences = tokens.preferences_token(5)
        self.assertEqual(tokens.read_preferences_token(preferences), 5)
        self.assertIsNone(tokens.read_unsubscribe_token(preferences + ".x"))
        self.assertIsNone(tokens.read_preferences_token(tokens.unsubscribe_token(5, 0)))

    def test_old_links_survive_a_key_rotation(self):
        with override_settings(SECRET_KEY="old-key-" + "x" * 50):
            token = tokens.unsubscribe_token(5, 1)
        with override_settings(
            SECRET_KEY="new-key-" + "y" * 50,
            SECRET_KEY_FALLBACKS=["old-key-" + "x" * 50],
        ):
            self.assertEqual(tokens.read_unsubscribe_token(token), (5, 1))
        with override_settings(SECRET_KEY="new-key-" + "y" * 50):
            self.assertIsNone(tokens.read_unsubscribe_token(token))


class ConfirmationTokenTests(SimpleTestCase):
    def test_it_works_until_it_expires(self):
        token = tokens.confirmation_token(42)
        self.assertEqual(tokens.read_confirmation_token(token), 42)
        with time_machine.travel(timezone.now() + timedelta(days=8)):
            with self.assertRaises(tokens.ConfirmationExpired):
                tokens.read_confirmation_token(token)

    def test_a_forged_token_is_refused(self):
        token = tokens.confirmation_token(42)
        self.assertIsNone(
            tokens.read_confirmation_token(token.replace("16", "17", 1) + "x")
        )
        self.assertIsNone(tokens.read_confirmation_token("junk"))
