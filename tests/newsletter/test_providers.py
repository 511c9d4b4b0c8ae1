"""Sending an edition through a provider's API (anymail's test backend):
each ledger row is marked from the provider's answer for its reader, once."""

import email
import email.policy

from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError
from anymail.message import AnymailRecipientStatus
from django.core import mail
from django.test import TestCase, override_settings

from newsletter import sending, tasks, transport
from newsletter.models import Delivery, Edition, Subscription, Suppression
from newsroom.env import parse_email_url
from tests.factories import make_brief
from tests.helpers import start_edition
from tests.newsletter.factories import (
    default_newsletter,
    make_audience,
    make_edition,
    make_subscriber,
)

D = Delivery.Status
ANYMAIL_TEST = {"BACKEND": "anymail.backends.test.EmailBackend"}
ANSWERS: dict = {}  # address: a status other than "sent", or an exception


class AnsweringBackend(AnymailTestBackend):
    """anymail's test backend, answering for some readers as a provider would."""

    def post_to_esp(self, payload, message):
        to = payload.recipient_emails[0]
        answer = ANSWERS.get(to)
        if isinstance(answer, Exception):
            message.anymail_test_response = answer
        elif answer:
            message.anymail_test_response = {
                "recipient_status": {
                    to: AnymailRecipientStatus(message_id=None, status=answer)
                }
            }
        return super().post_to_esp(payload, message)


class ProviderSendingTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()
        self.brief = make_brief()
        mail.outbox = []
        ANSWERS.clear()
        self.addCleanup(ANSWERS.clear)

    def start(self, edition=None):
        return start_edition(edition or make_edition(self.daily, [self.brief]))

    @override_settings(MAILERS={"default": ANYMAIL_TEST, "bulk": ANYMAIL_TEST})
    def test_each_row_is_marked_sent_once_with_the_providers_id_for_its_reader(self):
        readers = make_audience(self.daily, 6)
        edition = self.start()
        self.assertEqual(edition.status, Edition.Status.SENT)
        self.assertEqual(len(mail.outbox), 6)
        rows = Delivery.objects.filter(edition=edition).select_related("subscriber")
        self.assertEqual({r.status for r in rows}, {D.SENT})
        # The test backend's id for a message is its place in the outbox.
        for row in rows:
            sent = mail.outbox[int(row.message_id)]
            self.assertEqual(sent.to, [row.subscriber.email])
            self.assertIsNone(row.smtp_code)
        self.assertEqual(
            sorted(r.subscriber.email for r in rows), sorted(r.email for r in readers)
        )
        # Running the send again sends nothing more.
        sending.send_all(edition.pk)
        self.assertEqual(len(mail.outbox), 6)

    @override_settings(MAILERS={"default": ANYMAIL_TEST, "bulk": ANYMAIL_TEST})
    def test_the_provider_gets_our_subject_parts_and_unsubscribe_headers(self):
        reader = make_subscriber("ada@example.com", newsletters=[self.daily])
        self.start()
        message = mail.outbox[0]
        params = message.anymail_test_params
        headers = params["extra_headers"]
        self.assertIn("/u/", headers["List-Unsubscribe"])
        self.assertEqual(headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        self.assertIn("daily", headers["List-Id"])
        self.assertEqual(message.to, [reader.email])
        self.assertTrue(message.subject)
        self.assertIn(self.brief.headline.upper(), message.body)
        self.assertNotIn("\r", message.body)
        self.assertIn(self.brief.headline, message.alternatives[0][0])
        self.assertEqual([kind for _, kind in message.alternatives], ["text/html"])
        self.assertNotIn("NRxUNSUBSCRIBE", message.body + message.alternatives[0][0])

    @override_settings(
        MAILERS={
            "default": ANYMAIL_TEST,
            "bulk": {"BACKEND": f"{__name__}.AnsweringBackend"},
        }
    )
    def test_a_reader_the_provider_refuses_fails_with_its_reason_and_is_not_retried(
        self,
    ):
        make_audience(self.daily, 3)
        refused = make_subscriber("refused@example.com", newsletters=[self.daily])
        invalid = make_subscriber("invalid@example.com", newsletters=[self.daily])
        ANSWERS.update({refused.email: "rejected", invalid.email: "invalid"})
        edition = self.start()
        self.assertEqual((edition.sent_count, edition.failed_count), (3, 2))
        for reader, status in ((refused, "rejected"), (invalid, "invalid")):
            row = Delivery.objects.get(edition=edition, subscriber=reader)
            self.assertEqual((row.status, row.attempts), (D.FAILED, 1))
            self.assertIn(f"({status})", row.last_error)
            self.assertEqual(row.message_id, "")
            # Refused by the provider is not proof the mailbox is gone.
            self.assertEqual(
                reader.subscriptions.get().status, Subscription.Status.CONFIRMED
            )
        self.assertFalse(Suppression.objects.exists())

    @override_settings(
        MAILERS={
            "default": ANYMAIL_TEST,
            "bulk": {"BACKEND": f"{__name__}.AnsweringBackend"},
        }
    )
    def test_an_api_error_is_ours_retried_and_the_reader_gets_one_copy(self):
        make_audience(self.daily, 2)
        flaky = make_subscriber("flaky@example.com", newsletters=[self.daily])
        ANSWERS[flaky.email] = AnymailAPIError("Postmark API response 503")
        edition = make_edition(self.daily, [self.brief])
        with self.settings(
            TASKS={
                "default": {
                    "BACKEND": "django.tasks.backends.dummy.DummyBackend",
                    "QUEUES": ["default", "email"],
                }
            }
        ):
            tasks.start(edition.pk)
        result = sending.send_batch(edition.pk)
        self.assertEqual((result.sent, result.retry), (2, 1))
        row = Delivery.objects.get(edition=edition, subscriber=flaky)
        self.assertEqual(row.status, D.PENDING)
        self.assertIn("503", row.last_error)
        del ANSWERS[flaky.email]
        sending.send_all(edition.pk)
        row.refresh_from_db()
        self.assertEqual((row.status, row.attempts), (D.SENT, 2))
        self.assertEqual(
            [m.to for m in mail.outbox].count([flaky.email]), 2
        )  # the refused call, then the one that went through
        self.assertEqual(
            Delivery.objects.filter(edition=edition, status=D.SENT).count(), 3
        )


class SMTPMessageIdTests(TestCase):
    def test_an_smtp_send_keeps_our_own_message_id_on_the_row(self):
        daily = default_newsletter()
        make_audience(daily, 2)
        edition = make_edition(daily, [make_brief()])
        mail.outbox = []
        with self.captureOnCommitCallbacks(execute=True):
            tasks.start(edition.pk)
        for row in Delivery.objects.filter(edition=edition):
            sent = next(
                m
                for m in mail.outbox
                if email.message_from_bytes(m.raw, policy=email.policy.default)[
                    "Message-ID"
                ]
                == row.message_id
            )
            self.assertTrue(sent)
            self.assertTrue(row.message_id.startswith(f"<{edition.pk}.{row.pk}."))


class MailURLTests(TestCase):
    def test_an_anymail_url_names_the_backend_and_its_options(self):
        self.assertEqual(
            parse_email_url("anymail+postmark://?token=abc%2F1&message_stream=news"),
            {
                "BACKEND": "anymail.backends.postmark.EmailBackend",
                "OPTIONS": {"server_token": "abc/1", "message_stream": "news"},
            },
        )
        self.assertEqual(
            parse_email_url("anymail+amazon_ses://?region=eu-west-1")["OPTIONS"],
            {"client_params": {"region_name": "eu-west-1"}},
        )
        self.assertEqual(
            parse_email_url("anymail+mailgun://?key=k&domain=mg.example.org")[
                "OPTIONS"
            ],
            {"api_key": "k", "sender_domain": "mg.example.org"},
        )

    def test_an_unknown_provider_is_refused_with_the_list_of_known_ones(self):
        from django.core.exceptions import ImproperlyConfigured

        with self.assertRaisesMessage(ImproperlyConfigured, "postmark"):
            parse_email_url("anymail+carrierpigeon://?key=k")

    def test_a_url_makes_a_working_mailer_for_the_transport(self):
        with self.settings(
            MAILERS={
                "default": ANYMAIL_TEST,
                "bulk": parse_email_url("anymail+test://"),
            }
        ):
            self.assertTrue(transport.Transport().is_provider)


class ProviderCheckTests(TestCase):
    def run_checks(self, deploy=False):
        from django.core import checks

        return [
            m.id
            for m in checks.run_checks(include_deployment_checks=deploy)
            if m.id.startswith("newsletter.")
        ]

    def test_a_provider_without_the_webhook_secret_is_flagged_at_deploy(self):
        postmark = parse_email_url("anymail+postmark://?token=t")
        with self.settings(MAILERS={"default": ANYMAIL_TEST, "bulk": postmark}):
            with self.settings(ANYMAIL={}):
                self.assertIn("newsletter.W001", self.run_checks(deploy=True))
                self.assertNotIn("newsletter.W001", self.run_checks())
            with self.settings(ANYMAIL={"WEBHOOK_SECRET": "a:b"}):
                self.assertNotIn("newsletter.W001", self.run_checks(deploy=True))
