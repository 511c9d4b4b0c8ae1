"""The whole path against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

import email
import email.policy
import re
import smtplib

from django.test import Client, TestCase

from newsletter import tasks
from newsletter.models import Delivery, Edition, Subscriber, Subscription
from tests.factories import label, make_article, make_bullet, make_section
from tests.helpers import start_edition
from tests.newsletter.factories import default_newsletter, make_edition, make_subscriber
from tests.smtp_sink import SMTPTestMixin

URL = re.compile(r"https://news\.example\.org/[^\s\"<>]+")


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def raw_header(raw: bytes, name: str) -> bytes:
    """The header exactly as sent, with its folded continuation lines."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    match = re.search(
        rb"^" + name.encode() + rb": ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)",
        head,
        re.M | re.I,
    )
    assert match, f"{name} missing"
    return match.group(1)


def text_part(raw: bytes) -> str:
    return parse(raw).get_body(preferencelist=("plain",)).get_content()


def html_part(raw: bytes) -> str:
    return parse(raw).get_body(preferencelist=("html",)).get_content()


def make_brief_with_sections(headline, slug):
    article = make_article(headline=headline, slug=slug, dek="")
    make_section(
        article, position=0, label=label("Why it matters"), text="Ports drive exports."
    )
    zoom = make_section(
        article, position=1, label=label("Zoom in"), heading="Ten cranes."
    )
    make_bullet(zoom, "Two remain idle.", position=0)
    return article


class SignupToEditionTests(SMTPTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.daily = default_newsletter()
        self.article = make_brief_with_sections("Harbour cranes return", "cranes")

    def sign_up_and_confirm(self, address):
        page = self.client.get(self.article.get_absolute_url())
        self.assertContains(page, 'action="/newsletter/"')
        with self.captureOnCommitCallbacks(execute=True):
            response = Client().post(
                "/newsletter/",
                {
                    "email": address,
                    "source": "footer",
                    "next": "/briefs/cranes/",
                    "website": "",
                },
            )
        self.assertEqual(response.status_code, 303)
        confirmations = self.sink.to(address)
        self.assertEqual(len(confirmations), 1)
        message = parse(confirmations[0].raw)
        self.assertEqual(message["To"], address)
        self.assertIn("Confirm your subscription", message["Subject"])
        links = [
            u for u in URL.findall(text_part(confirmations[0].raw)) if "/confirm/" in u
        ]
        self.assertEqual(len(links), 1)
        self.assertIn(links[0], html_part(confirmations[0].raw))
        path = links[0].removeprefix("https://news.example.org")
        # A mail scanner opening the link confirms nothing.
        self.client.get(path)
        self.assertEqual(
            Subscription.objects.get(subscriber__email=address).status, "pending"
        )
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(Client().post(path).status_code, 303)
        self.assertEqual(
            Subscription.objects.get(subscriber__email=address).status, "confirmed"
        )
        welcome = self.sink.to(address)[1].raw
        self.assertIn(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", welcome)

    def test_signup_confirm_send_unsubscribe_and_the_next_edition_skips_them(self):
        self.sign_up_and_confirm("ada@example.com")
        others = [make_subscriber(newsletters=[self.daily]) for _ in range(4)]
        make_subscriber(
            "pending@example.com", newsletters=[self.daily], status="pending"
        )
        confirmed = ["ada@example.com"] + [s.email for s in others]
        before = self.sink.count()

        edition = start_edition(
            make_edition(
                self.daily, [self.article], subject="Ports: the week’s big story"
            )
        )

        self.assertEqual(edition.status, Edition.Status.SENT)
        self.assertEqual(edition.sent_count, 5)
        new = self.sink.messages[before:]
        self.assertEqual(sorted(m.rcpt_tos[0] for m in new), sorted(confirmed))
        for received in new:
            raw = received.raw
            unsubscribe = raw_header(raw, "List-Unsubscribe")
            self.assertRegex(unsubscribe, rb"^<https://news\.example\.org/u/[\w.-]+/>$")
            self.assertEqual(
                raw_header(raw, "List-Unsubscribe-Post"), b"List-Unsubscribe=One-Click"
            )
            self.assertEqual(
                raw_header(raw, "List-Id"),
                b'"The Daily Brief" <daily.news.example.org>',
            )
            self.assertEqual(raw_header(raw, "Precedence"), b"bulk")
            for name in ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "To"):
                self.assertNotIn(b"=?", raw_header(raw, name))
            message = parse(raw)
            self.assertEqual(message["To"], received.rcpt_tos[0])
            self.assertEqual(message["Subject"], "Ports: the week’s big story")
            self.assertTrue(message["Message-ID"].endswith("@localhost>"))
            html, text = html_part(raw), text_part(raw)
            self.assertIn("Harbour cranes return", html)
            self.assertIn("Why it matters:", text)
            self.assertIn("  - Two remain idle.", text)
            # The one-click URL of the header is also the footer link.
            self.assertIn(unsubscribe[1:-1].decode(), html)
            self.assertIn(unsubscribe[1:-1].decode(), text)
        message_ids = {parse(m.raw)["Message-ID"] for m in new}
        self.assertEqual(len(message_ids), 5)

        ada = next(m for m in new if m.rcpt_tos == ["ada@example.com"])
        url = raw_header(ada.raw, "List-Unsubscribe")[1:-1].decode()
        response = Client(enforce_csrf_checks=True).post(
            url.removeprefix("https://news.example.org"),
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        self.assertEqual(response.status_code, 200)

        before = self.sink.count()
        second = start_edition(
            make_edition(self.daily, [self.article], subject="Next day")
        )
        received = sorted(m.rcpt_tos[0] for m in self.sink.messages[before:])
        self.assertEqual(received, sorted(confirmed[1:]))
        self.assertEqual(second.recipients_count, 4)
        self.assertFalse(
            Delivery.objects.filter(
                edition=second, subscriber__email="ada@example.com"
            ).exists()
        )

    # A realistic long host and a large subscriber id.
    LONG_SITE = "https://the-evening-chronicle-newsroom.example.org"

    def big_reader(self, status):
        """big@example.org, id 987654321, on the daily list with `status`."""
        subscriber = Subscriber.objects.create(pk=987654321, email="big@example.org")
        Subscription.objects.create(
            subscriber=subscriber, newsletter=self.daily, status=status
        )
        return subscriber

    def assert_the_last_unsubscribe_url_is_one_plain_line(self):
        """List-Unsubscribe in big@example.org's last message: neither folded
        nor an encoded word."""
        raw = self.sink.to("big@example.org")[-1].raw
        value = raw_header(raw, "List-Unsubscribe")
        self.assertTrue(value.startswith(f"<{self.LONG_SITE}/u/".encode()), value)
        self.assertNotIn(b"=?", value)
        self.assertNotIn(b"\r\n", value)

    def test_the_welcome_unsubscribe_url_never_folds_either(self):
        with self.settings(SITE_URL=self.LONG_SITE):
            subscriber = self.big_reader("pending")
            from newsletter import services

            with self.captureOnCommitCallbacks(execute=True):
                services.confirm(subscriber)
        self.assert_the_last_unsubscribe_url_is_one_plain_line()

    def test_the_unsubscribe_url_never_folds_into_encoded_words(self):
        with self.settings(SITE_URL=self.LONG_SITE):
            self.big_reader("confirmed")
            start_edition(make_edition(self.daily, [self.article]))
        self.assert_the_last_unsubscribe_url_is_one_plain_line()


class TransactionalFailureTests(SMTPTestMixin, TestCase):
    def test_a_refused_confirmation_lets_the_reader_ask_again_at_once(self):
        default_newsletter()
        self.sink.data_replies["ada@example.com"] = "554 5.7.1 Rejected"
        with self.captureOnCommitCallbacks(execute=True):
            # The immediate backend runs the task inline and records its failure.
            Client().post(
                "/newsletter/", {"email": "ada@example.com", "source": "footer"}
            )
        self.assertEqual(self.sink.to("ada@example.com"), [])
        self.assertIsNone(Subscriber.objects.get().last_request_mail_at)
        del self.sink.data_replies["ada@example.com"]
        with self.captureOnCommitCallbacks(execute=True):
            Client().post(
                "/newsletter/", {"email": "ada@example.com", "source": "footer"}
            )
        self.assertEqual(len(self.sink.to("ada@example.com")), 1)

    def test_a_relay_refusing_a_confirmation_is_retried_a_gone_mailbox_is_not(self):
        from newsletter import tasks

        daily = default_newsletter()
        ada = make_subscriber("ada@example.com", newsletters=[daily], status="pending")
        db_tasks = {
            "default": {
                "BACKEND": "django_tasks_db.DatabaseBackend",
                "QUEUES": ["default", "email"],
            }
        }
        with self.settings(TASKS=db_tasks):
            self.sink.rcpt_replies[ada.email] = "550 5.7.1 Relaying denied"
            self.assertEqual(tasks.send_confirmation.call(ada.pk), "retry scheduled")
            self.sink.rcpt_replies[ada.email] = "550 5.1.1 No such user"
            with self.assertRaises(smtplib.SMTPRecipientsRefused):
                tasks.send_confirmation.call(ada.pk)


class PlainTextStaysPlainTests(SMTPTestMixin, TestCase):
    def test_subjects_and_text_parts_are_not_html_escaped(self):
        daily = default_newsletter()
        daily.name = "Q&A <Daily>"
        daily.save()
        make_subscriber("ada@example.com", newsletters=[daily])
        article = make_brief_with_sections("Rates & <b>jobs</b>", "rates")
        edition = make_edition(
            daily, [article], subject="Q&A: rates 'hold' <b>again</b>"
        )
        with self.captureOnCommitCallbacks(execute=True):
            tasks.start(edition.pk)
            Client().post(
                "/newsletter/", {"email": "new@example.com", "source": "footer"}
            )
        message = parse(self.sink.to("ada@example.com")[0].raw)
        self.assertEqual(message["Subject"], "Q&A: rates 'hold' <b>again</b>")
        self.assertIn(
            "RATES & <B>JOBS</B>", text_part(self.sink.to("ada@example.com")[0].raw)
        )
        self.assertIn(
            "Rates &amp; &lt;b&gt;jobs&lt;/b&gt;",
            html_part(self.sink.to("ada@example.com")[0].raw),
        )
        confirmation = parse(self.sink.to("new@example.com")[0].raw)
        self.assertEqual(
            confirmation["Subject"], "Confirm your subscription to Q&A <Daily>"
        )
