"""An edition's results: the ledger's outcomes, leaving, clicks without scanners."""

import json
from datetime import timedelta
from io import StringIO

from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import timezone

from newsletter import results
from newsletter.models import Click, Delivery, SubscriptionEvent, TrackedLink
from tests.newsletter.factories import make_audience, make_edition, make_newsletter
from tests.newsletter.test_tracking import brief_with_outside_link, send

KEYS = {
    "recipients",
    "delivered",
    "failed",
    "bounced",
    "complaints",
    "unsubscribes",
    "clicks",
    "unique_clickers",
    "opens",
    "links",
}


class ResultsTestCase(TestCase):
    def setUp(self):
        self.newsletter = make_newsletter()
        self.readers = make_audience(self.newsletter, 10)
        self.edition = make_edition(self.newsletter, [brief_with_outside_link()])
        send(self.edition)
        self.edition.refresh_from_db()
        self.brief, self.outside = TrackedLink.objects.filter(edition=self.edition)
        self.sent_at = Delivery.objects.filter(edition=self.edition).first().sent_at

    def delivery(self, reader):
        return Delivery.objects.filter(edition=self.edition, subscriber=reader)

    def click(self, reader, link, after_seconds):
        Click.objects.create(
            link=link,
            edition=self.edition,
            subscriber=reader,
            at=self.sent_at + timedelta(seconds=after_seconds),
        )

    def report(self) -> dict:
        out = StringIO()
        call_command("edition_report", str(self.edition.pk), "--json", stdout=out)
        return json.loads(out.getvalue())


class DeliveryFiguresTests(ResultsTestCase):
    def test_bounces_complaints_and_failures_come_from_the_ledger(self):
        r = self.readers
        self.delivery(r[0]).update(bounced_at=timezone.now(), bounce_type="hard")
        self.delivery(r[1]).update(bounced_at=timezone.now(), bounce_type="soft")
        self.delivery(r[2]).update(complained_at=timezone.now())
        # Refused in our own SMTP session: a gone mailbox, a full one.
        self.delivery(r[3]).update(
            status="failed", smtp_code=550, last_error="5.1.1 <x@example.com>: no user"
        )
        self.delivery(r[4]).update(
            status="failed", smtp_code=552, last_error="5.2.2 Mailbox full"
        )
        report = self.report()
        self.assertEqual(set(report), KEYS)
        self.assertEqual(report["recipients"], 10)
        self.assertEqual(report["failed"], 2)
        self.assertEqual(report["bounced"], 2)
        self.assertEqual(report["complaints"], 1)
        # No provider confirmations: sent (8) minus the hard bounce among them.
        self.assertEqual(report["delivered"], 7)
        figures = results.edition_results(self.edition)
        self.assertFalse(figures.delivered_confirmed)
        self.assertEqual(
            dict(figures.failure_reasons), {"550 5.1.1": 1, "552 5.2.2": 1}
        )

    def test_provider_confirmations_replace_the_estimate_once_there_are_any(self):
        for reader in self.readers[:4]:
            self.delivery(reader).update(delivered_at=timezone.now())
        self.assertEqual(self.report()["delivered"], 4)
        self.assertTrue(results.edition_results(self.edition).delivered_confirmed)

    def test_unsubscribes_are_readers_whose_leaving_names_this_edition(self):
        other = make_edition(self.newsletter)
        for reader, edition, source in (
            (self.readers[0], self.edition, "one-click"),
            (self.readers[1], self.edition, "preferences page"),
            (self.readers[1], self.edition, "preferences page"),  # two lists
            (self.readers[2], other, "one-click"),
            (self.readers[3], None, "unsubscribe page"),
        ):
            SubscriptionEvent.objects.create(
                subscription=reader.subscriptions.first(),
                kind="unsubscribed",
                source=source,
                edition=edition,
            )
        self.assertEqual(self.report()["unsubscribes"], 2)
        self.assertEqual(
            dict(results.edition_results(self.edition).unsubscribes_by_source),
            {"one-click": 1, "preferences page": 1},
        )


class ClickFiguresTests(ResultsTestCase):
    def test_clicks_per_link_leave_out_a_scanners_burst(self):
        r = self.readers
        self.click(r[0], self.brief, 600 * 3)
        self.click(r[0], self.brief, 600 * 3 + 1)  # the same link twice
        self.click(r[1], self.outside, 120)
        self.click(r[2], self.brief, 3600)  # two links, minutes apart
        self.click(r[2], self.outside, 3900)
        # Every link within a second, seconds after delivery: a gateway.
        self.click(r[3], self.brief, 4)
        self.click(r[3], self.outside, 4.5)
        # …and later the person behind it reads and clicks once.
        self.click(r[3], self.outside, 7200)
        report = self.report()
        self.assertEqual(report["clicks"], 6)
        self.assertEqual(report["unique_clickers"], 4)
        self.assertEqual(
            report["links"],
            [
                {"url": self.brief.url, "clicks": 3, "unique_clickers": 2},
                {"url": self.outside.url, "clicks": 3, "unique_clickers": 3},
            ],
        )
        self.assertEqual(results.edition_results(self.edition).scanner_clicks, 2)

    def test_two_links_at_once_long_after_sending_are_a_person(self):
        self.click(self.readers[0], self.brief, 3 * 3600)
        self.click(self.readers[0], self.outside, 3 * 3600 + 0.5)
        self.assertEqual(self.report()["clicks"], 2)

    def test_the_first_48_hours_are_counted_by_the_hour(self):
        start = self.edition.started_at
        for hours in (0.1, 0.2, 5.5, 47.9, 49):
            Click.objects.create(
                link=self.brief,
                edition=self.edition,
                subscriber=self.readers[int(hours) % 10],
                at=start + timedelta(hours=hours),
            )
        hourly = results.edition_results(self.edition).hourly_clicks
        self.assertEqual(len(hourly), 48)
        self.assertEqual((hourly[0], hourly[5], hourly[47], sum(hourly)), (2, 1, 1, 4))

    def test_opens_are_null_when_not_counted(self):
        self.assertIsNone(self.report()["opens"])


class EditionReportCommandTests(ResultsTestCase):
    def test_the_text_report_names_each_figure(self):
        out = StringIO()
        call_command("edition_report", str(self.edition.pk), stdout=out)
        text = out.getvalue()
        for words in ("Recipients", "Delivered (accepted by the relay", "Clicks"):
            self.assertIn(words, text)
        self.assertIn("Opens", text)

    def test_a_wrong_id_is_a_clear_message(self):
        for given, words in (("abc", "is a number"), ("999999", "no edition 999999")):
            with self.assertRaisesMessage(CommandError, words):
                call_command("edition_report", given)
