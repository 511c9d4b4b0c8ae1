import email
import email.policy
import quopri
from datetime import timedelta
from unittest import mock

from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.test import SimpleTestCase, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter import mime, sending, services, starting, tasks, tokens, transport
from newsletter.models import (
    Delivery,
    Edition,
    Subscriber,
    Subscription,
    SubscriptionEvent,
)
from tests.factories import make_brief
from tests.helpers import DUMMY_TASKS, start_edition
from tests.newsletter.factories import (
    default_newsletter,
    make_audience,
    make_edition,
    make_subscriber,
)
from tests.smtp_sink import SMTPTestMixin, free_port

D = Delivery.Status


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


class PreparedEditionTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()
        self.edition = make_edition(
            self.daily,
            [make_brief(sections=3, bullets=4)],
            subject="Déjà vu: ports reopen",
        )
        starting.freeze(self.edition)
        self.edition.save()
        self.prepared = mime.PreparedEdition.for_edition(self.edition)

    def personalise(self, subscriber_id=7, address="ada@example.com", name=""):
        return self.prepared.personalise(
            delivery_id=99, subscriber_id=subscriber_id, address=address, name=name
        )

    def test_each_reader_gets_their_own_links_in_both_parts(self):
        _, raw = self.personalise(subscriber_id=7)
        message = parse(raw)
        # Naming the edition, so leaving is counted for it.
        unsubscribe = tokens.unsubscribe_token(7, self.daily.pk, self.edition.pk)
        preferences = tokens.preferences_token(7, self.edition.pk)
        for part in ("plain", "html"):
            body = message.get_body(preferencelist=(part,)).get_content()
            self.assertIn(f"/u/{unsubscribe}/", body)
            self.assertIn(f"/newsletter/preferences/{preferences}/", body)
            self.assertNotIn("NRx", body)
        self.assertEqual(
            message["List-Unsubscribe"], f"<https://news.example.org/u/{unsubscribe}/>"
        )
        _, other = self.personalise(subscriber_id=8)
        self.assertNotIn(unsubscribe.encode(), other)

    def test_a_configured_mailto_joins_the_https_url_without_encoded_words(self):
        with self.settings(
            NEWSLETTER={
                **django_settings.NEWSLETTER,
                "UNSUBSCRIBE_MAILTO": "leave@news.example.org",
            }
        ):
            prepared = mime.PreparedEdition.for_edition(self.edition)
            _, raw = prepared.personalise(
                delivery_id=1, subscriber_id=7, address="ada@example.com"
            )
        token = tokens.unsubscribe_token(7, self.daily.pk, self.edition.pk)
        self.assertIn(
            f"List-Unsubscribe: <https://news.example.org/u/{token}/>,\r\n"
            f" <mailto:leave@news.example.org?subject=unsubscribe%20{token}>\r\n".encode(),
            raw,
        )
        self.assertEqual(
            parse(raw)["List-Unsubscribe"],
            f"<https://news.example.org/u/{token}/>, "
            f"<mailto:leave@news.example.org?subject=unsubscribe%20{token}>",
        )

    def test_the_bytes_are_valid_7bit_mime_with_short_lines(self):
        _, raw = self.personalise(name="Zoë Ünïcode")
        raw.decode("ascii")
        self.assertTrue(all(len(line) <= 998 for line in raw.split(b"\r\n")))
        body = raw.split(b"\r\n\r\n", 1)[1]
        self.assertTrue(all(len(line) <= 76 for line in body.split(b"\r\n")))
        self.assertNotIn(b"\n", raw.replace(b"\r\n", b""))
        message = parse(raw)
        self.assertEqual(message["Subject"], "Déjà vu: ports reopen")
        self.assertEqual(str(message["To"]), "Zoë Ünïcode <ada@example.com>")
        self.assertEqual(message.get_content_type(), "multipart/alternative")
        self.assertEqual(message.defects, [])

    def test_international_domains_are_sent_as_punycode(self):
        to_addr, raw = self.personalise(address="ada@bücher.example")
        self.assertEqual(to_addr, "ada@xn--bcher-kva.example")

    def test_addresses_that_could_inject_headers_or_not_be_sent_are_refused(self):
        for address in [
            "ada@example.com\r\nBcc: x@example.com",
            "zoë@example.com",
            "not-an-address",
        ]:
            with self.subTest(address=address):
                with self.assertRaises(ValueError):
                    self.personalise(address=address)

    def test_a_name_with_line_breaks_goes_out_on_one_line(self):
        # The reader still gets the edition (test_hostile_mail_headers.py).
        _, raw = self.personalise(name="Ada\r\nBcc: x@example.com")
        self.assertNotIn(b"\r\nBcc:", raw)
        self.assertEqual(
            str(parse(raw)["To"]), '"Ada Bcc: x@example.com" <ada@example.com>'
        )

    def test_the_web_view_shows_the_frozen_edition(self):
        self.edition.status = Edition.Status.SENT
        self.edition.save()
        response = self.client.get(self.edition.get_absolute_url())
        self.assertContains(response, "Déjà vu: ports reopen")
        self.assertContains(response, "Bullet 2.3 says something.")
        self.assertNotContains(response, "NRx")
        self.assertNotContains(response, "style=")  # CSP: no inline styles


class LedgerTests(SMTPTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.daily = default_newsletter()
        self.brief = make_brief()

    def start(self, edition=None):
        return start_edition(edition or make_edition(self.daily, [self.brief]))

    def send_refusing(self, address, replies, reply, *, others=3):
        """An edition sent to `others` readers and `address`, whose mail the
        relay answers with `reply` (`replies`: the sink's answers at RCPT or
        at DATA): the edition, that reader and their row."""
        make_audience(self.daily, others)
        reader = make_subscriber(address, newsletters=[self.daily])
        replies[address] = reply
        edition = self.start()
        return edition, reader, Delivery.objects.get(subscriber=reader)

    def statuses(self, edition):
        return dict(
            Delivery.objects.filter(edition=edition).values_list(
                "subscriber__email", "status"
            )
        )

    def test_every_confirmed_subscriber_gets_exactly_one_message(self):
        readers = make_audience(self.daily, 30)
        make_subscriber(newsletters=[self.daily], status="pending")
        make_subscriber(newsletters=[self.daily], status="unsubscribed")
        edition = self.start()
        self.assertEqual(edition.status, Edition.Status.SENT)
        self.assertEqual((edition.recipients_count, edition.sent_count), (30, 30))
        received = sorted(m.rcpt_tos[0] for m in self.sink.messages)
        self.assertEqual(received, sorted(r.email for r in readers))

    def test_starting_twice_sends_nothing_twice(self):
        make_audience(self.daily, 5)
        edition = make_edition(self.daily, [self.brief])
        self.start(edition)
        self.start(edition)
        with self.captureOnCommitCallbacks(execute=True):
            sending.send_all(edition.pk)
        self.assertEqual(self.sink.count(), 5)
        self.assertEqual(Delivery.objects.count(), 5)

    def test_a_permanent_refusal_is_recorded_and_the_address_marked_bounced(self):
        edition, gone, delivery = self.send_refusing(
            "gone@example.com", self.sink.rcpt_replies, "550 5.1.1 No such user"
        )
        self.assertEqual(delivery.status, D.FAILED)
        self.assertEqual(delivery.smtp_code, 550)
        self.assertIn("No such user", delivery.last_error)
        self.assertEqual(delivery.attempts, 1)
        self.assertEqual(gone.subscriptions.get().status, Subscription.Status.BOUNCED)
        self.assertEqual((edition.sent_count, edition.failed_count), (3, 1))

    def test_a_message_refused_at_data_is_retried_then_fails_without_bouncing(self):
        edition, reader, delivery = self.send_refusing(
            "ada@example.com", self.sink.data_replies, "554 5.7.1 Content rejected"
        )
        # A policy refusal is not the reader's: tried again like a temporary
        # one, given up in the end, and the reader stays on the list. One
        # reader among many does not pause the send.
        self.assertEqual((delivery.status, delivery.attempts), (D.FAILED, 5))
        self.assertIn("Gave up after 5 attempts", delivery.last_error)
        self.assertEqual(
            reader.subscriptions.get().status, Subscription.Status.CONFIRMED
        )
        self.assertEqual((edition.status, edition.sent_count), ("sent", 3))

    def test_a_gone_mailbox_reported_at_data_still_bounces(self):
        _, gone, delivery = self.send_refusing(
            "gone@example.com",
            self.sink.data_replies,
            "550 5.1.1 No such user",
            others=2,
        )
        self.assertEqual(delivery.attempts, 1)
        self.assertEqual(gone.subscriptions.get().status, Subscription.Status.BOUNCED)
        event = SubscriptionEvent.objects.get(kind="bounced")
        self.assertEqual(event.source, "SMTP 550 5.1.1")

    def test_temporary_refusals_are_retried_then_given_up(self):
        make_subscriber("busy@example.com", newsletters=[self.daily])
        make_audience(self.daily, 2)
        self.sink.rcpt_replies["busy@example.com"] = "451 4.7.1 Try again later"
        edition = self.start()
        delivery = Delivery.objects.get(subscriber__email="busy@example.com")
        self.assertEqual(delivery.status, D.FAILED)
        self.assertEqual(delivery.attempts, 5)
        self.assertIn("Gave up after 5 attempts", delivery.last_error)
        self.assertEqual(edition.sent_count, 2)

    def test_a_dropped_connection_is_retried_and_delivered_once(self):
        make_audience(self.daily, 4)
        make_subscriber("flaky@example.com", newsletters=[self.daily])
        self.sink.drop.add("flaky@example.com")
        edition = self.start()
        self.assertEqual(edition.sent_count, 5)
        self.assertEqual(len(self.sink.to("flaky@example.com")), 1)
        self.assertEqual(
            Delivery.objects.get(subscriber__email="flaky@example.com").attempts, 2
        )
        self.assertGreaterEqual(self.sink.connections, 2)

    def test_a_row_that_cannot_be_sent_fails_alone(self):
        make_audience(self.daily, 3)
        bad = make_subscriber("ada@example.com", newsletters=[self.daily])
        # Stored past the form's checks: the relay would refuse it.
        Subscriber.objects.filter(pk=bad.pk).update(email="zoë@example.com")
        edition = self.start()
        self.assertEqual(Delivery.objects.get(subscriber=bad).status, D.FAILED)
        self.assertEqual(edition.sent_count, 3)

    def start_without_sending(self, edition):
        with self.settings(TASKS=DUMMY_TASKS):
            tasks.start(edition.pk)

    def test_an_unsubscribe_after_the_rows_were_claimed_still_stops_the_message(self):
        readers = make_audience(self.daily, 3)
        edition = make_edition(self.daily, [self.brief])
        self.start_without_sending(edition)
        ids = sending.claim(edition.pk, "w1", 10)
        # Claimed rows are past the unsubscribe's own cancel of pending rows:
        # the sender's check just before each message is what stops this one.
        services.unsubscribe(readers[0], self.daily, source="test")
        result = sending.BatchResult()
        sending._send_claimed(Edition.objects.get(pk=edition.pk), ids, "w1", result)
        self.assertEqual((result.sent, result.skipped), (2, 1))
        self.assertEqual(self.statuses(edition)[readers[0].email], D.SKIPPED)
        self.assertEqual(
            sorted(m.rcpt_tos[0] for m in self.sink.messages),
            sorted(r.email for r in readers[1:]),
        )

    def test_a_dead_workers_rows_are_taken_over_when_its_lease_ends(self):
        make_audience(self.daily, 4)
        edition = make_edition(self.daily, [self.brief])
        self.start_without_sending(edition)
        sending.claim(edition.pk, "dead-worker", 4)
        sending.send_batch(edition.pk, worker="alive")
        self.assertEqual(self.sink.count(), 0)  # the lease still holds
        Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
        sending.send_batch(edition.pk, worker="alive")
        self.assertEqual(self.sink.count(), 4)
        edition.refresh_from_db()
        self.assertEqual(edition.status, Edition.Status.SENT)

    def test_queries_per_message_are_constant(self):
        def queries_for(count):
            Delivery.objects.all().delete()
            Subscription.objects.all().delete()
            make_audience(self.daily, count)
            edition = make_edition(self.daily, [self.brief])
            self.start_without_sending(edition)
            with CaptureQueriesContext(connection) as ctx:
                sending.send_batch(edition.pk, worker="w")
            self.assertEqual(
                Delivery.objects.filter(edition=edition, status=D.SENT).count(), count
            )
            return len(ctx.captured_queries)

        small, large = queries_for(10), queries_for(30)
        per_message = (large - small) / 20
        self.assertEqual(per_message, 2)  # the still-subscribed check, then "sent"
        self.assertLessEqual(small - 10 * per_message, 15)

    def test_other_mailers_get_the_same_bytes(self):
        make_audience(self.daily, 2)
        with self.settings(
            MAILERS={
                "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
                "bulk": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
            }
        ):
            self.start()
        self.assertEqual(len(mail.outbox), 2)
        message = mail.outbox[0].message()
        self.assertEqual(message["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")


class PacerTests(TestCase):
    def test_it_spaces_messages_to_the_rate(self):
        clock = [100.0]
        sleeps = []

        def sleep(seconds):
            sleeps.append(round(seconds, 6))
            clock[0] += seconds

        with (
            mock.patch("newsletter.transport.time.monotonic", lambda: clock[0]),
            mock.patch("newsletter.transport.time.sleep", sleep),
        ):
            pacer = transport.Pacer(4)
            for _ in range(5):
                pacer.wait()
        self.assertEqual(sleeps, [0.25, 0.25, 0.25, 0.25])

    def test_zero_means_no_limit(self):
        with mock.patch("newsletter.transport.time.sleep") as sleep:
            pacer = transport.Pacer(0)
            for _ in range(3):
                pacer.wait()
        sleep.assert_not_called()


class QuotedPrintableTemplateTests(SimpleTestCase):
    """Tokens swapped into the pre-encoded bytes decode to the right text."""

    @settings(max_examples=300, deadline=None)
    @given(
        pieces=st.lists(st.text(max_size=200), min_size=1, max_size=6),
        kinds=st.lists(st.booleans(), min_size=5, max_size=5),
        unsubscribe_length=st.integers(min_value=1, max_value=tokens.UNSUBSCRIBE_MAX),
        preferences_length=st.integers(min_value=1, max_value=tokens.PREFERENCES_MAX),
    )
    def test_substituted_tokens_decode_and_lines_stay_short(
        self, pieces, kinds, unsubscribe_length, preferences_length
    ):
        token_chars = "abcdefghijklmnopqrstuvwxyz0123456789._-ABC" * 2
        unsubscribe = token_chars[:unsubscribe_length]
        preferences = token_chars[:preferences_length]
        template, expected = pieces[0], pieces[0]
        for is_unsubscribe, piece in zip(kinds, pieces[1:], strict=False):
            if is_unsubscribe:
                template += mime.UNSUBSCRIBE_PLACEHOLDER + piece
                expected += unsubscribe + piece
            else:
                template += mime.PREFERENCES_PLACEHOLDER + piece
                expected += preferences + piece
        encoded = mime.qp_template(template)
        out = encoded.replace(
            mime.UNSUBSCRIBE_PLACEHOLDER.encode(), unsubscribe.encode()
        ).replace(mime.PREFERENCES_PLACEHOLDER.encode(), preferences.encode())
        out.decode("ascii")
        self.assertTrue(all(len(line) <= 76 for line in out.split(b"\r\n")))
        self.assertNotIn(b"\n", out.replace(b"\r\n", b""))
        decoded = quopri.decodestring(out.replace(b"\r\n", b"\n")).decode("utf-8")
        self.assertEqual(decoded, "\n".join(expected.splitlines()) + "\n")


class BrokenSenderTests(SMTPTestMixin, TestCase):
    def started(self, readers):
        """An edition for `readers` new readers, its rows made and none sent."""
        daily = default_newsletter()
        make_audience(daily, readers)
        edition = make_edition(daily, [make_brief()])
        with self.settings(TASKS=DUMMY_TASKS):
            tasks.start(edition.pk)
        return edition

    def test_an_unusable_sender_pauses_the_send_and_hands_the_rows_back(self):
        edition = self.started(3)
        with self.settings(DEFAULT_FROM_EMAIL="not an address"):
            result = sending.send_batch(edition.pk, worker="w")
        self.assertEqual((result.claimed, result.released, result.sent), (3, 3, 0))
        self.assertTrue(result.blocked)
        rows = Delivery.objects.filter(edition=edition)
        self.assertEqual(set(rows.values_list("status", "attempts")), {("pending", 0)})
        self.assertEqual(self.sink.count(), 0)
        edition.refresh_from_db()
        self.assertTrue(edition.is_blocked)
        self.assertEqual(edition.blocked_reason, "sender")
        self.assertIn("“not an address”", edition.blocked_check)
        self.assertIn("invalid address", edition.blocked_reply)
        self.assertEqual(edition.blocked_checks()[0][0], "The sender address")
        # Paused until someone resumes it: later tasks do nothing.
        self.assertEqual(sending.send_batch(edition.pk, worker="w").claimed, 0)
        # Fixed and resumed: everyone gets it.
        with self.captureOnCommitCallbacks(execute=True):
            self.assertTrue(tasks.resume(edition.pk))
        with self.captureOnCommitCallbacks(execute=True):
            sending.send_all(edition.pk)
        self.assertEqual(self.sink.count(), 3)

    def test_sending_in_this_process_stops_instead_of_spinning(self):
        edition = self.started(2)
        with self.settings(DEFAULT_FROM_EMAIL="not an address"):
            result = sending.send_all(edition.pk)
        self.assertEqual((result["sent"], result["released"]), (0, 2))
        self.assertEqual(
            Edition.objects.get(pk=edition.pk).status, Edition.Status.SENDING
        )


class RelayRefusalTests(SMTPTestMixin, TestCase):
    """A relay that refuses every message for reasons of its own (relaying
    denied, a blocklist, a quota): issue 11's "one send can unsubscribe the
    whole list". Nobody is unsubscribed, no delivery is given up, and the
    send goes on once the relay takes mail again."""

    def setUp(self):
        super().setUp()
        self.daily = default_newsletter()
        self.readers = make_audience(self.daily, 30)
        self.edition = make_edition(self.daily, [make_brief()])

    def refuse_everyone(self, replies, reply):
        for reader in self.readers:
            replies[reader.email] = reply

    def start(self):
        start_edition(self.edition)

    def assert_nobody_unsubscribed_and_nothing_burned(self):
        changed = Subscription.objects.exclude(status=Subscription.Status.CONFIRMED)
        self.assertEqual(list(changed.values_list("status", flat=True)), [])
        self.assertFalse(SubscriptionEvent.objects.filter(kind="bounced").exists())
        rows = Delivery.objects.filter(edition=self.edition)
        self.assertEqual(set(rows.values_list("status", flat=True)), {D.PENDING})
        self.assertEqual(self.edition.status, Edition.Status.SENDING)

    def test_relaying_denied_at_rcpt_unsubscribes_nobody_and_keeps_every_row_due(
        self,
    ):
        self.refuse_everyone(self.sink.rcpt_replies, "550 5.7.1 Relaying denied")
        self.start()
        self.assert_nobody_unsubscribed_and_nothing_burned()
        self.assertEqual(self.sink.count(), 0)

    def test_a_554_at_data_keeps_the_rows_due_and_they_go_out_once_it_passes(self):
        self.refuse_everyone(
            self.sink.data_replies, "554 5.7.1 Message rejected: IP blocklisted"
        )
        self.start()
        self.assert_nobody_unsubscribed_and_nothing_burned()
        # The relay takes mail again; the send is resumed and finishes.
        self.sink.data_replies.clear()
        with self.captureOnCommitCallbacks(execute=True):
            tasks.resume(self.edition.pk)
        self.edition.refresh_from_db()
        self.assertEqual(self.edition.status, Edition.Status.SENT)
        self.assertEqual(self.edition.sent_count, 30)
        received = sorted(m.rcpt_tos[0] for m in self.sink.messages)
        self.assertEqual(received, sorted(r.email for r in self.readers))
        self.assertFalse(
            Subscription.objects.exclude(status=Subscription.Status.CONFIRMED).exists()
        )

    def send(self, **settings):
        """The edition sent in this process with these NEWSLETTER settings."""
        with self.settings(NEWSLETTER={**django_settings.NEWSLETTER, **settings}):
            start_edition(self.edition)

    def refusals(self):
        return sum(len(self.sink.to(r.email)) == 0 for r in self.readers)

    def test_the_pause_says_why_logs_it_and_spent_attempts_are_given_back(self):
        for reader in self.readers:
            self.sink.rcpt_replies[reader.email] = (
                f"550 5.7.1 <{reader.email.upper()}>: Relaying denied"
            )
        with self.assertLogs("newsletter.sending", "ERROR") as logs:
            self.start()
        self.assertTrue(self.edition.is_blocked)
        self.assertEqual(self.edition.state_label, "Paused")
        self.assertEqual(
            self.edition.blocked_check,
            "20 messages in a row were refused with 550 5.7.1.",
        )
        self.assertEqual(self.edition.blocked_reason, "550 5.7.1")
        # Without the address of the reader the last refusal happened to name.
        self.assertEqual(
            self.edition.blocked_reply, "550 5.7.1 <(a reader)>: Relaying denied"
        )
        titles = [title for title, _ in self.edition.blocked_checks()]
        self.assertEqual(titles[0], "Relay credentials and access")
        self.assertIn("Sender domain: SPF, DKIM and DMARC", titles)
        self.assertIn("550 5.7.1 <(a reader)>: Relaying denied", logs.output[0])
        self.assertNotIn("@example.com", logs.output[0])
        rows = Delivery.objects.filter(edition=self.edition)
        self.assertEqual(set(rows.values_list("attempts", flat=True)), {0})
        # The last error is kept on the rows that were tried.
        self.assertEqual(rows.filter(smtp_code=550).count(), 20)

    def test_resuming_while_the_relay_still_refuses_pauses_again_losing_nothing(
        self,
    ):
        self.refuse_everyone(self.sink.rcpt_replies, "550 5.7.1 Relaying denied")
        self.start()
        first = self.edition.blocked_at
        with self.captureOnCommitCallbacks(execute=True):
            self.assertTrue(tasks.resume(self.edition.pk))
        self.edition.refresh_from_db()
        self.assertTrue(self.edition.is_blocked)
        self.assertGreater(self.edition.blocked_at, first)
        self.assert_nobody_unsubscribed_and_nothing_burned()
        rows = Delivery.objects.filter(edition=self.edition)
        self.assertEqual(set(rows.values_list("attempts", flat=True)), {0})
        # Not paused: nothing to resume.
        self.sink.rcpt_replies.clear()
        with self.captureOnCommitCallbacks(execute=True):
            tasks.resume(self.edition.pk)
        self.assertFalse(tasks.resume(self.edition.pk))
        self.edition.refresh_from_db()
        self.assertEqual((self.edition.status, self.edition.sent_count), ("sent", 30))

    def test_the_run_is_counted_across_batches_shorter_than_it(self):
        self.refuse_everyone(self.sink.rcpt_replies, "554 5.7.1 Blocked by Spamhaus")
        self.send(BATCH_SIZE=4, BREAKER_RUN=10, BREAKER_WINDOW=0)
        self.assertTrue(self.edition.is_blocked)
        self.assertEqual(
            self.edition.blocked_check,
            "10 messages in a row were refused with 554 5.7.1.",
        )
        self.assertEqual(self.edition.blocked_checks()[0][0], "IP blocklists")
        self.assert_nobody_unsubscribed_and_nothing_burned()

    def test_most_of_the_last_messages_refused_for_one_reason_pauses_too(self):
        # Two readers in three refused: never 20 in a row, but most of 50.
        for reader in self.readers[1::3] + self.readers[2::3]:
            self.sink.rcpt_replies[reader.email] = "451 4.7.0 Daily quota exceeded"
        self.send(BREAKER_RUN=20, BREAKER_WINDOW=24)
        self.assertTrue(self.edition.is_blocked)
        self.assertEqual(
            self.edition.blocked_check,
            "13 of the last 20 messages were refused with 451 4.7.0.",
        )
        self.assertEqual(self.edition.blocked_checks()[0][0], "Sending quota")
        self.assertEqual(self.sink.count(), 7)
        self.assertFalse(
            Subscription.objects.exclude(status=Subscription.Status.CONFIRMED).exists()
        )

    def test_readers_own_failures_do_not_pause_the_send(self):
        for reader in self.readers[:25]:
            self.sink.rcpt_replies[reader.email] = "550 5.1.1 No such user"
        self.start()
        self.assertFalse(self.edition.is_blocked)
        self.assertEqual((self.edition.status, self.edition.sent_count), ("sent", 5))
        self.assertEqual(
            Subscription.objects.filter(status=Subscription.Status.BOUNCED).count(), 25
        )

    def test_an_unreachable_relay_pauses_after_a_run_of_batches(self):
        nobody = {
            **self.sink.mailer(),
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 5},
        }
        with self.settings(MAILERS={"bulk": nobody}):
            self.send(BATCH_SIZE=10, BREAKER_RUN=6)
        self.assertTrue(self.edition.is_blocked)
        self.assertEqual(self.edition.blocked_reason, "connection")
        self.assertEqual(
            self.edition.blocked_check,
            "6 messages in a row could not reach the relay.",
        )
        self.assertEqual(self.edition.blocked_checks()[0][0], "Reaching the relay")
        self.assert_nobody_unsubscribed_and_nothing_burned()
