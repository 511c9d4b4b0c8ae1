from django.db import IntegrityError, transaction
from django.test import TestCase

from newsletter.models import Newsletter, Subscriber, normalize_email
from tests.newsletter.factories import default_newsletter, make_newsletter


class NormalizeEmailTests(TestCase):
    def test_it_trims_and_lowercases(self):
        self.assertEqual(
            normalize_email("  Ada@Example.COM\u00a0\n"), "ada@example.com"
        )

    def test_addresses_are_unique_whatever_their_case(self):
        Subscriber.objects.create(email="ada@example.com")
        with self.assertRaises(IntegrityError), transaction.atomic():
            Subscriber.objects.create(email="ADA@example.com ")
        # Even a write that skips save() cannot add a second spelling.
        with self.assertRaises(IntegrityError), transaction.atomic():
            Subscriber.objects.bulk_create([Subscriber(email="Ada@Example.com")])


class NewsletterTests(TestCase):
    def test_a_fresh_site_has_a_default_list(self):
        self.assertTrue(default_newsletter().is_default)

    def test_marking_another_list_default_moves_the_flag(self):
        first = default_newsletter()
        weekly = make_newsletter(name="Weekly", is_default=True)
        first.refresh_from_db()
        self.assertFalse(first.is_default)
        self.assertEqual(Newsletter.get_default(), weekly)

    def test_the_database_allows_one_default_only(self):
        default_newsletter()
        with self.assertRaises(IntegrityError), transaction.atomic():
            Newsletter.objects.bulk_create(
                [Newsletter(name="Other", slug="other", is_default=True)]
            )


class NewsletterSenderTests(TestCase):
    def test_a_sender_must_be_an_address(self):
        from django.core.exceptions import ValidationError

        newsletter = Newsletter(name="X", slug="x")
        for good in ["", "daily@example.com", "Daily Brief <daily@example.com>"]:
            newsletter.from_email = good
            newsletter.clean()
        for bad in ["Daily Brief", "daily@", "A <a@example.com>\r\nBcc: b@example.com"]:
            newsletter.from_email = bad
            with self.assertRaises(ValidationError, msg=bad):
                newsletter.clean()
