"""Providers' tracking webhooks, posted to the real endpoint with each
provider's documented payloads: bounces, complaints and deliveries reach the
ledger and the suppression list; forged and malformed posts change nothing."""

import base64
import email
import email.policy
import hashlib
import hmac
import json
import time
from datetime import timedelta

from cryptography.hazmat.primitives import hashes, serialization
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
from tests.smtp_sink import SMTPTestMixin

S = Subscription.Status
SECRET = "anymail-user:s3cret-pass"
MAILGUN_KEY = "key-mailgun-signing-0123456789"
SENDGRID_PRIVATE = ec.generate_private_key(ec.SECP256R1())
SENDGRID_PUBLIC = base64.b64encode(
    SENDGRID_PRIVATE.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
ANYMAIL = {
    "WEBHOOK_SECRET": SECRET,
    "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
    "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": SENDGRID_PUBLIC,
}


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


# Each provider's documented payload, with our message id, address and time
# put in. kind: "bounce", "soft", "complaint" or "delivery".


def postmark(kind, message_id, address, at):
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
    if kind == "delivery":
        return {
            "RecordType": "Delivery",
            "ServerID": 23,
            "MessageStream": "outbound",
            "MessageID": message_id,
            "Recipient": address,
            "Tag": "welcome-email",
            "DeliveredAt": stamp,
            "Details": "Test delivery webhook details",
            "Metadata": {"example": "value"},
        }
    types = {
        "bounce": ("Bounce", "HardBounce", 1, "Hard bounce"),
        "soft": ("Bounce", "SoftBounce", 4096, "Soft bounce"),
        "complaint": ("SpamComplaint", "SpamComplaint", 512, "Spam complaint"),
    }
    record, kind_type, code, name = types[kind]
    return {
        "RecordType": record,
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": kind_type,
        "TypeCode": code,
        "Name": name,
        "Tag": "Test",
        "MessageID": message_id,
        "Metadata": {"a_key": "a_value"},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message "
        "(ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach "
        "does not exist.",
        "Email": address,
        "From": "sender@example.com",
        "BouncedAt": stamp,
        "DumpAvailable": True,
        "Inactive": kind != "soft",
        "CanActivate": True,
        "Subject": "Test subject",
        "Content": "<Full dump of bounce>",
    }


def ses_event(kind, message_id, address, at):
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    mail = {
        "timestamp": stamp,
        "source": "Daily Brief <daily@example.com>",
        "sendingAccountId": "123456789012",
        "messageId": message_id,
        "destination": [address],
        "headersTruncated": False,
        "headers": [{"name": "Subject", "value": "The day in briefs"}],
        "commonHeaders": {
            "from": ["Daily Brief <daily@example.com>"],
            "to": [address],
            "messageId": message_id,
            "subject": "The day in briefs",
        },
        "tags": {"ses:configuration-set": ["ConfigSet"]},
    }
    if kind == "delivery":
        return {
            "eventType": "Delivery",
            "mail": mail,
            "delivery": {
                "timestamp": stamp,
                "processingTimeMillis": 546,
                "recipients": [address],
                "smtpResponse": "250 2.6.0 Message received",
                "reportingMTA": "mta.example.com",
            },
        }
    if kind == "complaint":
        return {
            "eventType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": address}],
                "timestamp": stamp,
                "feedbackId": "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a",
                "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
                "complaintFeedbackType": "abuse",
                "arrivalDate": stamp,
            },
            "mail": mail,
        }
    return {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Permanent" if kind == "bounce" else "Transient",
            "bounceSubType": "General" if kind == "bounce" else "MailboxFull",
            "bouncedRecipients": [
                {
                    "emailAddress": address,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": stamp,
            "feedbackId": "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a",
            "reportingMTA": "dsn; mta.example.com",
        },
        "mail": mail,
    }


def sns(kind, message_id, address, at):
    return {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:SES_Events",
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(ses_event(kind, message_id, address, at)),
        "Timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+..",
        "SigningCertURL": "https://sns.us-west-2.amazonaws.com/"
        "SimpleNotificationService-0000000000000000000000.pem",
        "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe",
    }


def mailgun(kind, message_id, address, at, *, key=MAILGUN_KEY):
    timestamp = str(int(time.time()))
    token = hashlib.sha256(f"{kind}{message_id}".encode()).hexdigest()[:50]
    event = {
        "bounce": "failed",
        "soft": "failed",
        "complaint": "complained",
        "delivery": "delivered",
    }[kind]
    data = {
        "event": event,
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "timestamp": at.timestamp(),
        "log-level": "error" if event == "failed" else "info",
        "recipient": address,
        "message": {
            "headers": {
                "to": f"Alice <{address}>",
                "message-id": message_id.strip("<>"),
                "from": "Bob <bob@mg.example.com>",
                "subject": "Test webhook",
            },
            "attachments": [],
            "size": 111,
        },
        "tags": ["my_tag_1"],
        "user-variables": {},
    }
    if event == "failed":
        data["severity"] = "permanent"
        data["reason"] = "bounce" if kind == "bounce" else "generic"
        data["delivery-status"] = {
            "attempt-no": 1,
            "message": "No Such User Here" if kind == "bounce" else "Mailbox full",
            "code": 550 if kind == "bounce" else 452,
            "description": "Not delivered",
            "session-seconds": 0.0,
        }
    elif event == "delivered":
        data["delivery-status"] = {"code": 250, "message": "OK", "description": ""}
    signature = hmac.new(
        key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": data,
    }


def sendgrid(kind, message_id, address, at):
    event = {
        "email": address,
        "timestamp": int(at.timestamp()),
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "category": ["newsletter"],
        "sg_event_id": "sg_event_id",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "anymail_id": message_id,
    }
    if kind == "delivery":
        event.update(event="delivered", response="250 OK")
    elif kind == "complaint":
        event.update(event="spamreport")
    else:
        event.update(
            event="bounce",
            reason="500 unknown recipient" if kind == "bounce" else "452 mailbox full",
            status="5.0.0" if kind == "bounce" else "4.2.2",
            type="bounce" if kind == "bounce" else "blocked",
        )
    return [event]


def brevo(kind, message_id, address, at):
    event = {
        "bounce": "hard_bounce",
        "soft": "soft_bounce",
        "complaint": "spam",
        "delivery": "delivered",
    }[kind]
    payload = {
        "event": event,
        "email": address,
        "id": 123456,
        "date": at.strftime("%Y-%m-%d %H:%M:%S"),
        "ts": int(at.timestamp()),
        "message-id": message_id,
        "ts_event": int(at.timestamp()),
        "subject": "The day in briefs",
        "tag": "newsletter",
        "sending_ip": "203.0.113.7",
        "ts_epoch": int(at.timestamp() * 1000),
        "tags": ["newsletter"],
    }
    if kind in ("bounce", "soft"):
        payload["reason"] = "550 5.1.1 unknown user" if kind == "bounce" else "full"
    return payload


def sendgrid_headers(body: bytes, *, key=SENDGRID_PRIVATE) -> dict:
    timestamp = str(int(time.time()))
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }


PAYLOADS = {
    "postmark": postmark,
    "amazon_ses": sns,
    "mailgun": mailgun,
    "sendgrid": sendgrid,
    "brevo": brevo,
}
MESSAGE_IDS = {
    # The id each provider's API answers with, as anymail reports it.
    "postmark": "883953f4-6105-42a2-a16a-77a8eac79483",
    "amazon_ses": "0100018f-EXAMPLE-4d12-a87d-dd0099a07f8a-000000",
    "mailgun": "<20130503192659.13651.20287@mg.example.com>",
    "sendgrid": "ba7e9c1b-2ba8-4a5d-a5b0-f7cbd4e71f5e",
    "brevo": "<202010091554.12345678901@smtp-relay.mailin.fr>",
}


@override_settings(ANYMAIL=ANYMAIL)
class ProviderWebhookTests(TestCase):
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


@override_settings(ANYMAIL=ANYMAIL)
class ForgedAndMalformedWebhookTests(TestCase):
    """Refused with a 4xx, and nothing changes."""

    def setUp(self):
        self.daily = default_newsletter()
        self.reader = make_subscriber("ada@example.com", newsletters=[self.daily])
        self.edition = make_edition(self.daily, status=Edition.Status.SENT)
        self.now = timezone.now()
        self.helper = ProviderWebhookTests()
        self.helper.client = self.client
        self.helper.reader = self.reader
        self.helper.edition = self.edition
        self.helper.now = self.now

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
                delivery = self.helper.deliver(provider)
                payload = self.helper.event(provider, "bounce", delivery)
                for auth in ("anymail-user:wrong", None):
                    response = self.helper.post(provider, payload, auth=auth)
                    self.assertIn(response.status_code, (401, 403), response.content)
                self.assertNothingChanged(delivery)
            Delivery.objects.all().delete()

    def test_a_bad_signature_is_refused_where_the_provider_signs(self):
        delivery = self.helper.deliver("mailgun")
        forged = mailgun(
            "bounce",
            delivery.message_id,
            "ada@example.com",
            self.now,
            key="not-the-key",
        )
        self.assertEqual(self.helper.post("mailgun", forged).status_code, 403)
        self.assertNothingChanged(delivery)
        delivery.delete()

        delivery = self.helper.deliver("sendgrid")
        body = json.dumps(self.helper.event("sendgrid", "bounce", delivery)).encode()
        other_key = ec.generate_private_key(ec.SECP256R1())
        for headers in (sendgrid_headers(body, key=other_key), {}):
            response = self.helper.post(
                "sendgrid", None, raw=body, headers=headers or {"X-Other": "1"}
            )
            self.assertEqual(response.status_code, 403)
        self.assertNothingChanged(delivery)

    def test_a_body_altered_after_signing_is_refused(self):
        delivery = self.helper.deliver("sendgrid")
        honest = json.dumps(
            sendgrid("delivery", delivery.message_id, "a@b.c", self.now)
        )
        forged = json.dumps(
            sendgrid("bounce", delivery.message_id, "ada@example.com", self.now)
        ).encode()
        headers = sendgrid_headers(honest.encode())
        self.assertEqual(
            self.helper.post("sendgrid", None, raw=forged, headers=headers).status_code,
            403,
        )
        self.assertNothingChanged(delivery)

    def test_malformed_json_answers_400_not_500(self):
        for provider in PAYLOADS:
            with self.subTest(provider):
                Delivery.objects.all().delete()
                delivery = self.helper.deliver(provider)
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
                        response = self.helper.post(provider, None, raw=body)
                    else:
                        response = self.helper.post(
                            provider, None, raw=body, headers=headers
                        )
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
                response = self.helper.post(provider, None, raw=body)
                self.assertEqual(response.status_code, 400, response.content)

    def test_without_the_secret_set_every_post_is_refused(self):
        delivery = self.helper.deliver("postmark")
        payload = self.helper.event("postmark", "bounce", delivery)
        with self.settings(ANYMAIL={}):
            with self.assertLogs("newsletter.webhooks", "ERROR") as logs:
                response = self.helper.post("postmark", payload)
        self.assertEqual(response.status_code, 403)
        self.assertIn("ANYMAIL_WEBHOOK_SECRET", logs.output[0])
        self.assertNothingChanged(delivery)

    def test_mailgun_without_its_signing_key_is_refused_even_with_the_secret(self):
        delivery = self.helper.deliver("mailgun")
        payload = self.helper.event("mailgun", "bounce", delivery)
        with self.settings(ANYMAIL={"WEBHOOK_SECRET": SECRET}):
            with self.assertLogs("newsletter.webhooks", "ERROR") as logs:
                response = self.helper.post("mailgun", payload)
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
