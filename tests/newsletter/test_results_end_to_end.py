"""An edition's results from end to end, against a real SMTP server (aiosmtpd):
send, readers click, a scanner bursts through one copy, a provider reports a
hard bounce and a complaint, and the report and the next send agree."""

import email
import email.policy
import importlib.util
import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client, TestCase, override_settings
from django.utils import timezone

from newsletter.models import Delivery, Edition
from tests.helpers import start_edition
from tests.newsletter.factories import make_audience, make_edition, make_newsletter
from tests.newsletter.test_tracking import BROWSER, REPORT, brief_with_outside_link
from tests.newsletter.webhook_payloads import SECRET, basic, postmark
from tests.smtp_sink import SMTPTestMixin

CLICK = re.compile(r"https://news\.example\.org(/c/[^\s\"<>]+)")
WEBHOOK = "/anymail/postmark/tracking/"

needs_webhook = pytest.mark.skipif(
    importlib.util.find_spec("newsletter.webhooks") is None,
    reason="needs the anymail webhook from i-bounce15",
)


def html_of(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return message.get_body(preferencelist=("html",)).get_content()


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET})
class ResultsEndToEndTests(SMTPTestMixin, TestCase):
    def send(self, edition) -> None:
        self.assertEqual(start_edition(edition).status, Edition.Status.SENT)

    def links_for(self, reader) -> list[str]:
        (received,) = self.sink.to(reader.email)
        return list(dict.fromkeys(CLICK.findall(html_of(received.raw))))

    def report(self, edition) -> dict:
        out = StringIO()
        call_command("edition_report", str(edition.pk), "--json", stdout=out)
        return json.loads(out.getvalue())

    def post_to_webhook(self, payload):
        response = Client().post(
            WEBHOOK,
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=basic(SECRET),
        )
        self.assertEqual(response.status_code, 200, response.content)

    def message_id(self, reader) -> str:
        (received,) = self.sink.to(reader.email)
        message_id = email.message_from_bytes(received.raw)["Message-ID"]
        self.assertEqual(Delivery.objects.get(subscriber=reader).message_id, message_id)
        return message_id

    @needs_webhook
    def test_twenty_readers_clicks_a_scanner_a_bounce_and_a_complaint(self):
        daily = make_newsletter(name="The Daily Brief")
        readers = make_audience(daily, 20)
        edition = make_edition(daily, [brief_with_outside_link()])
        self.send(edition)
        self.assertEqual(self.sink.count(), 20)

        person = Client(HTTP_USER_AGENT=BROWSER)
        # Seven readers follow a link, one of them twice.
        for n, reader in enumerate(readers[:7]):
            link = self.links_for(reader)[n % 2]
            for _ in range(2 if n == 0 else 1):
                response = person.get(link)
                self.assertEqual(response.status_code, 302)
                self.assertIn(
                    response["Location"], {REPORT, edition.snapshot["items"][0]["url"]}
                )
        # A gateway checks every link of another reader's copy at once, the
        # way security scanners do, and a prefetcher sends HEAD.
        scanned = readers[7]
        for link in self.links_for(scanned):
            self.assertEqual(person.get(link).status_code, 302)
            self.assertEqual(person.head(link).status_code, 302)

        # The provider reports a hard bounce and a complaint.
        bounced, complained = readers[8], readers[9]
        self.post_to_webhook(
            postmark("bounce", self.message_id(bounced), bounced.email, timezone.now())
        )
        self.post_to_webhook(
            postmark(
                "complaint",
                self.message_id(complained),
                complained.email,
                timezone.now(),
            )
        )

        report = self.report(edition)
        self.assertEqual(report["clicks"], 8)
        self.assertEqual(report["unique_clickers"], 7)
        self.assertEqual(report["bounced"], 1)
        self.assertEqual(report["complaints"], 1)
        self.assertEqual(report["recipients"], 20)
        self.assertIsNone(report["opens"])
        self.assertEqual(
            sum(link["clicks"] for link in report["links"]), report["clicks"]
        )

        before = self.sink.count()
        following = make_edition(daily, [brief_with_outside_link("second")])
        self.send(following)
        self.assertEqual(following.recipients_count, 18)
        self.assertEqual(self.sink.count() - before, 18)
        self.assertEqual(len(self.sink.to(bounced.email)), 1)
        self.assertEqual(len(self.sink.to(complained.email)), 1)
