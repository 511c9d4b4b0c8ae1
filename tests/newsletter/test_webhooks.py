"""Providers' tracking webhooks, posted to the real endpoint with each
provider's documented payloads: bounces, complaints and deliveries reach the
ledger and the suppression list; forged and malformed posts change nothing."""

import email
import email.policy
import json
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client, TestCase, override_settings
from django.utils import timezone

from newsletter import tasks
from newsletter.models import (
    Delivery,
    Edition,
    Subscription,
    SubscriptionEvent,
    Suppression,
)
from tests.newsletter.factories import (
    default_newsletter,
    make_audience,
    make_edition,
    make_subscriber,
)
from tests.newsletter.webhook_payloads import (
    ANYMAIL,
    MESSAGE_IDS,
    PAYLOADS,
    SECRET,
    basic,
    mailgun,
    postmark,
    sendgrid,
    sendgrid_headers,
    sns,
)
from tests.smtp_sink import SMTPTestMixin

S = Subscription.Status


@override_settings(ANYMAIL=ANYMAIL)
class WebhookTestCase(TestCase):
    """Ada on the daily list, a sent edition, and a provider's report of it
    posted to the real endpoint."""

    def setUp(self):
        self.daily = default_newsletter()
        self.reader = make_subscriber("ada@example.com", newsletters=[self.daily])
        self.edition = make_edition(self.daily, status=Edition.Status.SENT)
        self.now = timezone.now().replace(microsecond=123000)

    def deliver(self, provider, reader=None, edition=None):
        return Delivery.objects.create(
            edition=edition or self.edition,
            subscriber=reader or self.reader,
            status=Delivery.Status.SENT,
            sent_at=self.now - timedelta(minutes=5),
            message_id=MESSAGE_IDS[provider],
        )

    def post(self, provider, payload, *, auth=SECRET, headers=None, raw=None):
        body = raw if raw is not None else json.dumps(payload).encode()
        extra = {}
        if auth:
            extra["HTTP_AUTHORIZATION"] = basic(auth)
        if provider == "amazon_ses" and isinstance(payload, dict):
            extra["HTTP_X_AMZ_SNS_MESSAGE_TYPE"] = payload.get("Type", "")
            extra["HTTP_X_AMZ_SNS_MESSAGE_ID"] = payload.get("MessageId", "")
        if provider == "sendgrid" and headers is None:
            headers = sendgrid_headers(body)
        return self.client.post(
            f"/anymail/{provider}/tracking/",
            body,
            content_type="text/plain"
            if provider == "amazon_ses"
            else "application/json",
            headers=headers or {},
            **extra,
        )

    def event(self, provider, kind, delivery=None, address="ada@example.com"):
        message_id = delivery.message_id if delivery else MESSAGE_IDS[provider]
        return PAYLOADS[provider](kind, message_id, address, self.now)


class ProviderWebhookTests(WebhookTestCase):
    def test_a_hard_bounce_or_complaint_from_each_provider_suppresses_the_address(
        self,
    ):
        outcomes = {
            # kind: (the row's field, the suppression, the subscription, the event)
            "bounce": ("bounced_at", "hard-bounce", S.BOUNCED, "bounced"),
            "complaint": ("complained_at", "complaint", S.COMPLAINED, "complained"),
        }
        for provider in PAYLOADS:
            for kind, (field, reason, status, event_kind) in outcomes.items():
                with self.subTest(provider=provider, kind=kind):
                    Suppression.objects.all().delete()
                    SubscriptionEvent.objects.all().delete()
                    Subscription.objects.filter(subscriber=self.reader).update(
                        status=S.CONFIRMED
                    )
                    Delivery.objects.all().delete()
                    delivery = self.deliver(provider)
                    response = self.post(provider, self.event(provider, kind, delivery))
                    self.assertEqual(response.status_code, 200, response.content)
                    delivery.refresh_from_db()
                    self.assertIsNotNone(getattr(delivery, field))
                    self.assertEqual(
                        delivery.bounce_type, "hard" if kind == "bounce" else ""
                    )
                    row = Suppression.objects.get(address="ada@example.com")
                    self.assertEqual((row.reason, row.edition), (reason, self.edition))
                    self.assertIn(
                        provider.split("_")[0], row.source.lower().replace(" ", "_")
                    )
                    self.assertEqual(self.reader.subscriptions.get().status, status)
                    event = SubscriptionEvent.objects.get(
                        subscription__subscriber=self.reader
                    )
                    self.assertEqual(
                        (event.kind, event.edition), (event_kind, self.edition)
                    )

    def test_a_delivery_from_each_provider_fills_delivered_and_suppresses_nobody(self):
        for provider in PAYLOADS:
            with self.subTest(provider):
                Delivery.objects.all().delete()
                delivery = self.deliver(provider)
                response = self.post(
                    provider, self.event(provider, "delivery", delivery)
                )
                self.assertEqual(response.status_code, 200, response.content)
                delivery.refresh_from_db()
                self.assertIsNotNone(delivery.delivered_at)
                self.assertLess(
                    abs((delivery.delivered_at - self.now).total_seconds()), 1
                )
                self.assertFalse(Suppression.objects.exists())
                self.assertEqual(self.reader.subscriptions.get().status, S.CONFIRMED)

    def test_soft_bounces_suppress_only_once_the_limit_is_reached_in_a_row(self):
        for provider in PAYLOADS:
            with self.subTest(provider):
                Suppression.objects.all().delete()
                Delivery.objects.all().delete()
                Subscription.objects.filter(subscriber=self.reader).update(
                    status=S.CONFIRMED
                )
                limit = 3
                with self.settings(
                    NEWSLETTER={
                        **self.settings_newsletter(),
                        "SOFT_BOUNCE_LIMIT": limit,
                    }
                ):
                    for n in range(limit):
                        edition = make_edition(self.daily, status=Edition.Status.SENT)
                        delivery = self.deliver(provider, edition=edition)
                        Delivery.objects.filter(pk=delivery.pk).update(
                            message_id=f"{MESSAGE_IDS[provider][:-2]}{n:02d}"
                            + (">" if provider in ("mailgun", "brevo") else "")
                        )
                        delivery.refresh_from_db()
                        self.post(provider, self.event(provider, "soft", delivery))
                        delivery.refresh_from_db()
                        self.assertEqual(delivery.bounce_type, "soft")
                        self.assertEqual(
                            Suppression.objects.exists(), n + 1 >= limit, n
                        )
                row = Suppression.objects.get()
                self.assertEqual(row.reason, Suppression.Reason.SOFT_BOUNCES)
                self.assertEqual(self.reader.subscriptions.get().status, S.BOUNCED)

    def settings_newsletter(self):
        from django.conf import settings

        return settings.NEWSLETTER

    def test_a_delivery_between_soft_bounces_starts_the_count_again(self):
        first = self.deliver("postmark")
        self.post("postmark", self.event("postmark", "soft", first))
        self.post("postmark", self.event("postmark", "delivery", first))
        second_edition = make_edition(self.daily, status=Edition.Status.SENT)
        second = Delivery.objects.create(
            edition=second_edition,
            subscriber=self.reader,
            status=Delivery.Status.SENT,
            message_id="second-message",
        )
        later = self.now + timedelta(hours=1)
        payload = postmark("soft", "second-message", "ada@example.com", later)
        self.post("postmark", payload)
        from newsletter.suppression import soft_bounces_in_a_row

        second.refresh_from_db()
        self.assertEqual(second.bounce_type, "soft")
        self.assertEqual(soft_bounces_in_a_row(self.reader.pk), 1)

    def test_a_provider_needs_no_csrf_token(self):
        delivery = self.deliver("postmark")
        self.client = Client(enforce_csrf_checks=True)
        response = self.post("postmark", self.event("postmark", "delivery", delivery))
        self.assertEqual(response.status_code, 200)

    def test_a_repeated_report_changes_nothing_more(self):
        delivery = self.deliver("postmark")
        payload = self.event("postmark", "bounce", delivery)
        self.post("postmark", payload)
        events = SubscriptionEvent.objects.count()
        first = Delivery.objects.get(pk=delivery.pk).bounced_at
        self.assertEqual(self.post("postmark", payload).status_code, 200)
        self.assertEqual(SubscriptionEvent.objects.count(), events)
        self.assertEqual(Suppression.objects.count(), 1)
        self.assertEqual(Delivery.objects.get(pk=delivery.pk).bounced_at, first)

    def test_a_report_without_our_id_is_matched_to_the_last_edition_sent_to_it(
        self,
    ):
        older = self.deliver("postmark")
        Delivery.objects.filter(pk=older.pk).update(
            message_id="", sent_at=self.now - timedelta(days=2)
        )
        latest = Delivery.objects.create(
            edition=make_edition(self.daily, status=Edition.Status.SENT),
            subscriber=self.reader,
            status=Delivery.Status.SENT,
            sent_at=self.now - timedelta(hours=1),
        )
        payload = postmark("bounce", "a-postmark-id", "ADA@example.com", self.now)
        self.assertEqual(self.post("postmark", payload).status_code, 200)
        latest.refresh_from_db()
        older.refresh_from_db()
        self.assertEqual((latest.bounce_type, older.bounce_type), ("hard", ""))
        self.assertEqual(Suppression.objects.get().edition, latest.edition)

    def test_a_report_about_mail_sent_over_a_week_before_names_no_edition(self):
        old = self.deliver("postmark")
        Delivery.objects.filter(pk=old.pk).update(
            message_id="", sent_at=self.now - timedelta(days=8)
        )
        payload = postmark("bounce", "a-postmark-id", "ada@example.com", self.now)
        self.assertEqual(self.post("postmark", payload).status_code, 200)
        old.refresh_from_db()
        self.assertEqual(old.bounce_type, "")
        self.assertIsNone(Suppression.objects.get().edition)

    def test_a_hard_bounce_for_mail_not_in_the_ledger_still_suppresses_its_address(
        self,
    ):
        payload = postmark("bounce", "not-ours", "stranger@example.com", self.now)
        self.assertEqual(self.post("postmark", payload).status_code, 200)
        row = Suppression.objects.get()
        self.assertEqual(row.address, "stranger@example.com")
        self.assertIsNone(row.edition)

    def test_an_smtp_sends_own_message_id_matches_an_amazon_ses_event(self):
        delivery = self.deliver("amazon_ses")
        Delivery.objects.filter(pk=delivery.pk).update(
            message_id="<12.34.1x@news.example.org>"
        )
        payload = sns("bounce", "0100018f-other-id", "ada@example.com", self.now)
        message = json.loads(payload["Message"])
        message["mail"]["commonHeaders"]["messageId"] = "<12.34.1x@news.example.org>"
        payload["Message"] = json.dumps(message)
        self.assertEqual(self.post("amazon_ses", payload).status_code, 200)
        delivery.refresh_from_db()
        self.assertEqual(delivery.bounce_type, "hard")


class ForgedAndMalformedWebhookTests(WebhookTestCase):
    """Refused with a 4xx, and nothing changes."""

    def assertNothingChanged(self, delivery):
        delivery.refresh_from_db()
        self.assertEqual(
            (delivery.bounce_type, delivery.complained_at, delivery.delivered_at),
            ("", None, None),
        )
        self.assertFalse(Suppression.objects.exists())
        self.assertEqual(self.reader.subscriptions.get().status, S.CONFIRMED)
        self.assertFalse(SubscriptionEvent.objects.exists())

    def test_a_post_with_the_wrong_basic_auth_is_refused_by_every_provider(self):
        for provider in PAYLOADS:
            with self.subTest(provider):
                Delivery.objects.all().delete()
                delivery = self.deliver(provider)
                payload = self.event(provider, "bounce", delivery)
                for auth in ("anymail-user:wrong", None):
                    response = self.post(provider, payload, auth=auth)
                    self.assertIn(response.status_code, (401, 403), response.content)
                self.assertNothingChanged(delivery)
            Delivery.objects.all().delete()

    def test_a_bad_signature_is_refused_where_the_provider_signs(self):
        delivery = self.deliver("mailgun")
        forged = mailgun(
            "bounce",
            delivery.message_id,
            "ada@example.com",
            self.now,
            key="not-the-key",
        )
        self.assertEqual(self.post("mailgun", forged).status_code, 403)
        self.assertNothingChanged(delivery)
        delivery.delete()

        delivery = self.deliver("sendgrid")
        body = json.dumps(self.event("sendgrid", "bounce", delivery)).encode()
        other_key = ec.generate_private_key(ec.SECP256R1())
        for headers in (sendgrid_headers(body, key=other_key), {}):
            response = self.post(
                "sendgrid", None, raw=body, headers=headers or {"X-Other": "1"}
            )
            self.assertEqual(response.status_code, 403)
        self.assertNothingChanged(delivery)

    def test_a_body_altered_after_signing_is_refused(self):
        delivery = self.deliver("sendgrid")
        honest = json.dumps(
            sendgrid("delivery", delivery.message_id, "a@b.c", self.now)
        )
        forged = json.dumps(
            sendgrid("bounce", delivery.message_id, "ada@example.com", self.now)
        ).encode()
        headers = sendgrid_headers(honest.encode())
        self.assertEqual(
            self.post("sendgrid", None, raw=forged, headers=headers).status_code,
            403,
        )
        self.assertNothingChanged(delivery)

    def test_malformed_json_answers_400_not_500(self):
        for provider in PAYLOADS:
            with self.subTest(provider):
                Delivery.objects.all().delete()
                delivery = self.deliver(provider)
                for body in (b"{not json", b"[1, 2", b'"just a string"', b"\xff\xfe"):
                    headers = None
                    if provider == "amazon_ses":
                        response = self.client.post(
                            "/anymail/amazon_ses/tracking/",
                            body,
                            content_type="text/plain",
                            HTTP_AUTHORIZATION=basic(SECRET),
                            HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
                            HTTP_X_AMZ_SNS_MESSAGE_ID="x",
                        )
                    elif provider == "mailgun":
                        response = self.post(provider, None, raw=body)
                    else:
                        response = self.post(provider, None, raw=body, headers=headers)
                    # Mailgun's signature is inside the body: one that cannot
                    # be read may be refused as unsigned (403) instead.
                    expected = (400, 403) if provider == "mailgun" else (400,)
                    self.assertIn(response.status_code, expected, (provider, body))
                self.assertNothingChanged(delivery)
            Delivery.objects.all().delete()

    def test_a_well_formed_body_missing_what_the_provider_always_sends_answers_400(
        self,
    ):
        for provider, body in {
            "postmark": b'{"RecordType": "Bounce", "Type": "HardBounce", "BouncedAt": 5}',
            "sendgrid": b'[{"email": "ada@example.com"}]',
            "brevo": b"[]",
        }.items():
            with self.subTest(provider):
                response = self.post(provider, None, raw=body)
                self.assertEqual(response.status_code, 400, response.content)

    def test_without_the_secret_set_every_post_is_refused(self):
        delivery = self.deliver("postmark")
        payload = self.event("postmark", "bounce", delivery)
        with self.settings(ANYMAIL={}):
            with self.assertLogs("newsletter.webhooks", "ERROR") as logs:
                response = self.post("postmark", payload)
        self.assertEqual(response.status_code, 403)
        self.assertIn("ANYMAIL_WEBHOOK_SECRET", logs.output[0])
        self.assertNothingChanged(delivery)

    def test_mailgun_without_its_signing_key_is_refused_even_with_the_secret(self):
        delivery = self.deliver("mailgun")
        payload = self.event("mailgun", "bounce", delivery)
        with self.settings(ANYMAIL={"WEBHOOK_SECRET": SECRET}):
            with self.assertLogs("newsletter.webhooks", "ERROR") as logs:
                response = self.post("mailgun", payload)
        self.assertEqual(response.status_code, 403)
        self.assertIn("MAILGUN_WEBHOOK_SIGNING_KEY", logs.output[0])
        self.assertNothingChanged(delivery)


@override_settings(ANYMAIL=ANYMAIL)
class SMTPSendThenProviderReportsTests(SMTPTestMixin, TestCase):
    """An edition sent over SMTP (the real sink) through a relay that reports
    back by webhook with each message's Message-ID."""

    def test_a_bounce_and_a_complaint_leave_the_next_edition_two_readers_short(self):
        from tests.factories import make_brief

        daily = default_newsletter()
        readers = make_audience(daily, 20)
        edition = make_edition(daily, [make_brief()])
        with self.captureOnCommitCallbacks(execute=True):
            tasks.start(edition.pk)
        self.assertEqual(len(self.sink.messages), 20)
        rows = {
            row.subscriber.email: row
            for row in Delivery.objects.filter(edition=edition).select_related(
                "subscriber"
            )
        }
        sent_ids = {
            email.message_from_bytes(m.raw, policy=email.policy.default)["Message-ID"]
            for m in self.sink.messages
        }
        self.assertEqual({row.message_id for row in rows.values()}, sent_ids)
        gone, annoyed = readers[3].email, readers[7].email
        for kind, address in (("bounce", gone), ("complaint", annoyed)):
            payload = postmark(kind, rows[address].message_id, address, timezone.now())
            response = self.client.post(
                "/anymail/postmark/tracking/",
                json.dumps(payload),
                content_type="application/json",
                HTTP_AUTHORIZATION=basic(SECRET),
            )
            self.assertEqual(response.status_code, 200)
        outcome = Delivery.objects.filter(edition=edition)
        self.assertEqual(outcome.filter(bounce_type="hard").count(), 1)
        self.assertEqual(outcome.exclude(complained_at=None).count(), 1)
        following = make_edition(daily, [make_brief()])
        with self.captureOnCommitCallbacks(execute=True):
            tasks.start(following.pk)
        following.refresh_from_db()
        self.assertEqual(following.recipients_count, 18)
        self.assertEqual(following.sent_count, 18)

    def test_a_mailbox_our_relay_says_is_gone_is_suppressed_on_every_list(self):
        from newsletter.models import Newsletter
        from tests.factories import make_brief

        daily = default_newsletter()
        weekly = Newsletter.objects.create(name="Weekly", slug="weekly")
        gone = make_subscriber("gone@example.com", newsletters=[daily, weekly])
        make_audience(daily, 2)
        self.sink.rcpt_replies["gone@example.com"] = "550 5.1.1 No such user"
        edition = make_edition(daily, [make_brief()])
        with self.captureOnCommitCallbacks(execute=True):
            tasks.start(edition.pk)
        row = Suppression.objects.get()
        self.assertEqual(
            (row.address, row.reason, row.source, row.edition),
            (
                "gone@example.com",
                Suppression.Reason.HARD_BOUNCE,
                "SMTP 550 5.1.1",
                edition,
            ),
        )
        self.assertEqual(
            set(gone.subscriptions.values_list("status", flat=True)), {S.BOUNCED}
        )
        self.assertEqual(
            set(
                SubscriptionEvent.objects.filter(kind="bounced").values_list(
                    "edition", flat=True
                )
            ),
            {edition.pk},
        )
