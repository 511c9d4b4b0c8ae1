"""Hostile input on the newsletter side.

What must hold, whatever comes in:
- markup typed into a plain field (a list's name, an edition's subject, a
  reader's name, a file name) is text everywhere: escaped on pages and in the
  admin, verbatim in plain-text mail and subjects, never a header of its own;
- over-long values and odd Unicode (NUL, bidi controls, zero-width and other
  invisible characters) get an error a person can act on, never a 500, and
  never a second row for an address that only looks different;
- tampered, truncated, expired and cross-subscriber tokens are refused with
  the same answer, reveal nothing and change nothing;
- `next` never sends anyone to another site;
- arbitrary input to the forms and the token endpoints is never a 500
  (property-based, hypothesis).
"""

import email
import email.policy
import re
from datetime import timedelta
from html import unescape
from types import SimpleNamespace
from urllib.parse import parse_qs, quote, urlsplit

import time_machine
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, TestCase, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from newsletter import services, tokens
from newsletter.models import (
    Delivery,
    Edition,
    Newsletter,
    Subscriber,
    SubscriberImport,
    Subscription,
    SubscriptionEvent,
)
from tests.factories import make_brief, make_user
from tests.newsletter.factories import (
    default_newsletter,
    make_edition,
    make_newsletter,
    make_subscriber,
)
from tests.smtp_sink import SMTPTestMixin

S = Subscription.Status
TRIED = {"count": 0}  # hostile inputs sent, for the report


def tried(n=1):
    TRIED["count"] += n


def tearDownModule():
    print(f"\nnewsletter hostile inputs tried: {TRIED['count']}")  # noqa: T201


def payload(marker: str, length: int = 100) -> str:
    """Markup a person might type into a plain field, cut to its length with
    the dangerous part first."""
    return f"<script>alert('{marker}')</script><b>{marker}</b> & \"q\" <!--"[:length]


def raw_script(marker: str) -> str:
    return f"<script>alert('{marker}')"


INJECTIONS = [
    "Daily\r\nBcc: victim@example.com",
    "Daily\nBcc: victim@example.com",
    "Daily\rBcc: victim@example.com",
    "Daily\r\n\r\n<html>body</html>",
    "Daily\x00Bcc: victim@example.com",
    "Daily\u2028Bcc: victim@example.com",
    "Daily\u0085Bcc: victim@example.com",
]

INVISIBLE = [
    "\x00",  # NUL
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # byte-order mark
    "\u00ad",  # soft hyphen
    "\u034f",  # combining grapheme joiner
    "\x07",  # bell
    "\x1b",  # escape
]


# The signup limits (tested in test_abuse.py) would answer 429 long before
# this many posts of one address from one client reach the form.
NO_LIMITS = override_settings(
    NEWSLETTER={
        **django_settings.NEWSLETTER,
        "SIGNUPS_PER_IP_PER_HOUR": 0,
        "SIGNUPS_PER_ADDRESS_PER_HOUR": 0,
    }
)


def one_line(value: str) -> str:
    """What a header may carry of `value`: controls and line breaks are spaces."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", value).split())


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def header_names(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [
        line.split(":", 1)[0].lower()
        for line in head.split("\r\n")
        if line and not line[0].isspace()
    ]


# Markup in plain fields ------------------------------------------------------


class MarkupIsTextEverywhereTests(SMTPTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.list = make_newsletter(
            name=payload("list"),
            slug="hostile",
            description=payload("description", 300),
        )
        self.default = default_newsletter()
        self.reader = make_subscriber(
            "ada@example.com", newsletters=[self.list], name=payload("reader")
        )
        self.edition = make_edition(
            self.list, [make_brief()], subject=payload("subject", 200)
        )
        self.user = make_user("chief", superuser=True)

    def assert_text_not_markup(self, response, *markers, shown=True):
        html = response.content.decode()
        for marker in markers:
            tried()
            self.assertNotIn(raw_script(marker), html, marker)
            self.assertNotIn(f"<b>{marker}</b>", html, marker)
            if shown:
                self.assertIn(f"&lt;b&gt;{marker}&lt;/b&gt;", html, marker)

    def test_reader_pages_show_names_as_text(self):
        signup = self.client.get("/newsletter/")
        self.assert_text_not_markup(signup, "list")
        preferences = self.client.get(
            f"/newsletter/preferences/{tokens.preferences_token(self.reader.pk)}/"
        )
        self.assert_text_not_markup(preferences, "list")
        unsubscribe = self.client.get(
            f"/u/{tokens.unsubscribe_token(self.reader.pk, self.list.pk)}/"
        )
        self.assert_text_not_markup(unsubscribe, "list")
        Subscription.objects.update(status=S.PENDING)
        confirm = self.client.get(
            f"/newsletter/confirm/{tokens.confirmation_token(self.reader.pk)}/"
        )
        self.assert_text_not_markup(confirm, "list")

    def test_the_archive_shows_subjects_and_names_as_text(self):
        with self.captureOnCommitCallbacks(execute=True):
            from newsletter import tasks

            tasks.start(self.edition.pk)
        for url in (
            "/newsletter/archive/",
            "/newsletter/archive/hostile/",
            self.edition.get_absolute_url(),
        ):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assert_text_not_markup(response, "subject")

    def test_admin_lists_and_pages_show_them_as_text(self):
        self.client.force_login(self.user)
        services.record(
            self.reader.subscriptions.get(),
            SubscriptionEvent.Kind.REQUESTED,
            source=payload("source", 40),
            detail=payload("detail", 300),
        )
        job = SubscriberImport.objects.create(
            newsletter=self.list,
            mode="confirmed",
            filename=payload("file", 255),
            status="done",
            report=[{"line": 2, "email": payload("row"), "problem": "bad"}],
        )
        pages = [
            ("/admin/newsletter/newsletter/", ["list"]),
            ("/admin/newsletter/subscriber/", ["reader", "list"]),
            (
                f"/admin/newsletter/subscriber/{self.reader.pk}/change/",
                ["reader", "list", "detail"],
            ),
            ("/admin/newsletter/edition/", ["subject", "list"]),
            (f"/admin/newsletter/edition/{self.edition.pk}/change/", ["subject"]),
            (f"/admin/newsletter/edition/{self.edition.pk}/send/", ["subject"]),
            (f"/admin/newsletter/subscriber/import/{job.pk}/", ["file", "row"]),
            ("/admin/newsletter/subscriber/import/", ["file"]),
            ("/admin/newsletter/subscriber/activity/", ["list"]),
        ]
        for url, markers in pages:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assert_text_not_markup(response, *markers)

    def test_confirmation_and_welcome_mail_keep_names_verbatim_in_text(self):
        Subscription.objects.update(status=S.PENDING)
        with self.captureOnCommitCallbacks(execute=True):
            from newsletter import tasks

            tasks.send_confirmation.enqueue(self.reader.pk)
            services.confirm(self.reader)
        confirm, welcome = (parse(m.raw) for m in self.sink.to("ada@example.com"))
        name = payload("list")
        tried(2)
        # A subject and a text part are not HTML: what was typed, unescaped.
        self.assertEqual(confirm["Subject"], f"Confirm your subscription to {name}")
        self.assertEqual(welcome["Subject"], f"Welcome to {name}")
        for message in (confirm, welcome):
            text = message.get_body(("plain",)).get_content()
            html = message.get_body(("html",)).get_content()
            self.assertIn(name, text)
            self.assertNotIn("&lt;", text)
            self.assertNotIn(raw_script("list"), html)
            self.assertIn("&lt;b&gt;list&lt;/b&gt;", html)

    def test_an_edition_keeps_its_subject_verbatim_and_its_html_escaped(self):
        from newsletter import tasks

        with self.captureOnCommitCallbacks(execute=True):
            tasks.start(self.edition.pk)
        message = parse(self.sink.to("ada@example.com")[0].raw)
        tried()
        self.assertEqual(message["Subject"], payload("subject", 200))
        html = message.get_body(("html",)).get_content()
        self.assertNotIn(raw_script("subject"), html)
        self.assertNotIn(raw_script("list"), html)


# Header injection ------------------------------------------------------------

DUMMY_TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.dummy.DummyBackend",
        "QUEUES": ["default", "email"],
    }
}


class HeaderInjectionTests(SMTPTestMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.daily = default_newsletter()
        self.user = make_user("chief", superuser=True)

    def sent_headers(self):
        """Header names and recipients of every message the sink received."""
        return [(header_names(m.raw), m.rcpt_tos) for m in self.sink.messages]

    def assert_no_injected_header(self):
        for names, recipients in self.sent_headers():
            self.assertNotIn("bcc", names)
            self.assertEqual(recipients, ["ada@example.com"])
            for name in ("subject", "from", "to", "list-id", "message-id"):
                self.assertLessEqual(names.count(name), 1, (name, names))
        for message in self.sink.messages:
            body = message.raw.split(b"\r\n\r\n", 1)[1]
            self.assertNotIn(b"<html>body</html>", body.split(b"--==", 1)[0])

    def injections(self):
        if connection.vendor == "postgresql":  # it stores no NUL to begin with
            return [v for v in INJECTIONS if "\x00" not in v]
        return INJECTIONS

    def test_a_list_name_or_subject_cannot_add_headers_to_any_mail(self):
        from newsletter import tasks

        # Stored past the admin's checks (an older row, a shell, an import).
        for value in self.injections():
            tried(2)
            with self.subTest(value=value):
                self.sink.messages.clear()
                Delivery.objects.all().delete()
                Edition.objects.all().delete()
                # The consent log protects its rows; a test starts afresh.
                SubscriptionEvent.objects.all().delete()
                Subscription.objects.all().delete()
                Subscriber.objects.all().delete()
                Newsletter.objects.filter(pk=self.daily.pk).update(name=value)
                reader = make_subscriber(
                    "ada@example.com", newsletters=[self.daily], status=S.PENDING
                )
                edition = make_edition(self.daily, [make_brief()], subject=value)
                with self.captureOnCommitCallbacks(execute=True):
                    services.signup("ada@example.com", [self.daily], source="footer")
                with self.captureOnCommitCallbacks(execute=True):
                    services.confirm(reader)
                with self.captureOnCommitCallbacks(execute=True):
                    tasks.start(edition.pk)
                # Confirmation, welcome, edition: each with its own headers only.
                self.assertEqual(len(self.sink.messages), 3, self.sent_headers())
                self.assert_no_injected_header()
                edition_mail = parse(self.sink.messages[-1].raw)
                self.assertEqual(edition_mail.defects, [])
                self.assertEqual(str(edition_mail["Subject"]), one_line(value))

    def test_a_stored_sender_cannot_add_headers(self):
        from newsletter import sending, tasks

        make_subscriber("ada@example.com", newsletters=[self.daily])
        for value in self.injections():
            for sender in (
                f"{value} <daily@example.com>",
                f"Daily <daily@example.com>{value[5:]}",
            ):
                tried()
                with self.subTest(sender=sender):
                    self.sink.messages.clear()
                    Delivery.objects.all().delete()
                    Edition.objects.all().delete()
                    Newsletter.objects.filter(pk=self.daily.pk).update(
                        from_email=sender
                    )
                    edition = make_edition(self.daily, [make_brief()])
                    with self.settings(TASKS=DUMMY_TASKS):
                        tasks.start(edition.pk)
                    sending.send_batch(edition.pk, worker="w")
                    self.assert_no_injected_header()
                    if not self.sink.messages:
                        # Unusable: the rows wait for a fixed sender.
                        self.assertEqual(
                            Delivery.objects.get().status, Delivery.Status.PENDING
                        )

    def test_a_stored_name_with_line_breaks_still_gets_the_edition_safely(self):
        """A name stored past the checks (an older row, a shell) neither adds
        a header nor costs its reader the edition: it goes out on one line."""
        from newsletter import tasks

        for value in self.injections():
            tried()
            with self.subTest(value=value):
                self.sink.messages.clear()
                Delivery.objects.all().delete()
                Edition.objects.all().delete()
                SubscriptionEvent.objects.all().delete()
                Subscription.objects.all().delete()
                Subscriber.objects.all().delete()
                make_subscriber("ada@example.com", newsletters=[self.daily], name=value)
                edition = make_edition(self.daily, [make_brief()])
                with self.captureOnCommitCallbacks(execute=True):
                    tasks.start(edition.pk)
                self.assertEqual(Delivery.objects.get().status, Delivery.Status.SENT)
                self.assertEqual(len(self.sink.messages), 1)
                self.assert_no_injected_header()
                to = parse(self.sink.messages[0].raw)["To"]
                self.assertEqual(to.addresses[0].addr_spec, "ada@example.com")
                self.assertEqual(to.addresses[0].display_name, one_line(value))

    def test_the_admin_refuses_line_breaks_in_names_and_senders(self):
        self.client.force_login(self.user)
        for field, value in [
            ("name", "Daily\r\nBcc: victim@example.com"),
            ("from_email", "Daily <daily@example.com>\r\nBcc: victim@example.com"),
            ("from_email", "not an address"),
            ("from_email", "Daily <daily@example.com>, Other <o@example.com>"),
        ]:
            tried()
            with self.subTest(field=field, value=value):
                data = {
                    "name": "Daily",
                    "slug": "daily-2",
                    "description": "",
                    "from_email": "",
                    "reply_to": "",
                    "position": "0",
                    "is_public": "on",
                    field: value,
                }
                response = self.client.post("/admin/newsletter/newsletter/add/", data)
                self.assertEqual(response.status_code, 200)
                self.assertTrue(response.context["adminform"].form.errors[field])
        self.assertFalse(Newsletter.objects.filter(slug="daily-2").exists())

    def test_the_admin_refuses_line_breaks_in_an_edition_subject(self):
        self.client.force_login(self.user)
        tried()
        response = self.client.post(
            "/admin/newsletter/edition/add/",
            {
                "newsletter": self.daily.pk,
                "subject": "Today\r\nBcc: victim@example.com",
                "preheader": "",
                "intro": "",
                "items-TOTAL_FORMS": "0",
                "items-INITIAL_FORMS": "0",
                "items-MIN_NUM_FORMS": "0",
                "items-MAX_NUM_FORMS": "1000",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("subject", response.context["adminform"].form.errors)
        self.assertEqual(Edition.objects.count(), 0)


class OneRuleForNamesTests(TestCase):
    """A reader's name is one line of text, whichever way it comes in: the
    model, the admin's forms and the CSV import refuse the same values."""

    BAD = [
        "Ada\r\nBcc: victim@example.com",
        "Ada\nLovelace",
        "Ada\rLovelace",
        "Ada\tLovelace",
        "Ada\x0bLovelace",
        "Ada\x1bLovelace",
        "Ada\u0085Lovelace",
        "Ada\u2028Lovelace",
        "Ada\u2029Lovelace",
    ]

    def setUp(self):
        self.daily = default_newsletter()
        self.client.force_login(make_user("chief", superuser=True))

    def admin_form(self, **data) -> dict:
        return {
            "subscriptions-TOTAL_FORMS": "0",
            "subscriptions-INITIAL_FORMS": "0",
            "subscriptions-MIN_NUM_FORMS": "0",
            "subscriptions-MAX_NUM_FORMS": "1000",
            **data,
        }

    def test_the_model_refuses_them(self):
        from django.core.exceptions import ValidationError

        for value in self.BAD:
            tried()
            with self.subTest(value=value):
                with self.assertRaises(ValidationError) as e:
                    Subscriber(email="ada@example.com", name=value).full_clean()
                self.assertIn("line break", e.exception.message_dict["name"][0])
        Subscriber(email="ada@example.com", name="Ada Lovelace").full_clean()

    def test_the_admin_refuses_them_when_adding_and_changing(self):
        ada = make_subscriber("ada@example.com", name="Ada")
        for value in self.BAD:
            tried(2)
            with self.subTest(value=value):
                added = self.client.post(
                    "/admin/newsletter/subscriber/add/",
                    self.admin_form(email="bob@example.com", name=value),
                )
                changed = self.client.post(
                    f"/admin/newsletter/subscriber/{ada.pk}/change/",
                    self.admin_form(email="ada@example.com", name=value),
                )
                for response in (added, changed):
                    self.assertEqual(response.status_code, 200)
                    errors = response.context["adminform"].form.errors
                    self.assertIn("line break", errors["name"][0])
        self.assertFalse(Subscriber.objects.filter(email="bob@example.com").exists())
        ada.refresh_from_db()
        self.assertEqual(ada.name, "Ada")

    def test_the_import_refuses_them_in_either_mode(self):
        import csv
        import io

        for mode in ("confirmed", "pending"):
            SubscriberImport.objects.all().delete()
            out = io.StringIO()
            writer = csv.writer(out, quoting=csv.QUOTE_ALL)
            writer.writerow(["email", "name"])
            for i, value in enumerate(self.BAD):
                writer.writerow([f"{mode}{i}@example.com", value])
            writer.writerow([f"{mode}-ok@example.com", "Ada Lovelace"])
            tried(len(self.BAD))
            with self.captureOnCommitCallbacks(execute=True):
                self.client.post(
                    "/admin/newsletter/subscriber/import/",
                    {
                        "file": SimpleUploadedFile(
                            "names.csv", out.getvalue().encode()
                        ),
                        "newsletter": self.daily.pk,
                        "mode": mode,
                        "consent": "on",
                    },
                )
            job = SubscriberImport.objects.get()
            with self.subTest(mode=mode):
                self.assertEqual(job.invalid_count, len(self.BAD), job.report)
                self.assertTrue(
                    all("line break" in item["problem"] for item in job.report)
                )
                self.assertEqual(
                    list(
                        Subscriber.objects.filter(email__startswith=mode).values_list(
                            "email", "name"
                        )
                    ),
                    [(f"{mode}-ok@example.com", "Ada Lovelace")],
                )

    def test_an_upgrade_puts_names_stored_earlier_on_one_line(self):
        import importlib

        migration = importlib.import_module(
            "newsletter.migrations.0006_subscriber_name_one_line"
        )
        stored = {
            make_subscriber(name=value).pk: value
            for value in [*self.BAD, "Ada  Lovelace", "Zoë", ""]
        }
        migration.one_line_names(django_apps, SimpleNamespace(connection=connection))
        names = dict(Subscriber.objects.values_list("pk", "name"))
        for pk, value in stored.items():
            with self.subTest(value=value):
                if value in self.BAD:
                    self.assertEqual(names[pk], one_line(value))
                    self.assertNotIn("\n", names[pk])
                else:
                    self.assertEqual(names[pk], value)  # left as it was


# Over-long values and odd Unicode --------------------------------------------


@NO_LIMITS
class SignupInputTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()

    def post(self, data, json=False):
        tried()
        headers = {"HTTP_ACCEPT": "application/json"} if json else {}
        with self.captureOnCommitCallbacks(execute=True):
            return Client().post("/newsletter/", data, **headers)

    def test_invisible_and_control_characters_anywhere_in_an_address_are_refused(
        self,
    ):
        for char in INVISIBLE:
            for address in (
                f"a{char}da@example.com",
                f"ada@exa{char}mple.com",
                f"ada@example.com{char}x",
                f"ada{char}@example.com",
            ):
                with self.subTest(address=address):
                    response = self.post({"email": address}, json=True)
                    self.assertEqual(response.status_code, 400, address)
                    self.assertTrue(response.json()["errors"]["email"][0])
        self.assertEqual(Subscriber.objects.count(), 0)
        self.assertEqual(len(mail.outbox), 0)

    def test_the_error_says_what_is_wrong_and_keeps_what_was_typed(self):
        response = self.post({"email": "ada@exa\u200bmple.com"})
        self.assertContains(response, "invisible", status_code=400)
        self.assertContains(response, "ada@exa\u200bmple.com", status_code=400)

    def test_an_address_that_only_looks_like_another_makes_no_second_row(self):
        self.post({"email": "ada@example.com"})
        for lookalike in ("ada@exa\u200bmple.com", "ada@example.com\u2060"):
            self.post({"email": lookalike})
        self.assertEqual(
            list(Subscriber.objects.values_list("email", flat=True)),
            ["ada@example.com"],
        )

    def test_over_long_values_are_form_errors(self):
        cases = [
            {"email": "a" * 250 + "@example.com"},
            {"email": "ada@" + "b" * 64 + ".com"},
            {"email": "ada@example.com", "newsletters": [str(i) for i in range(3000)]},
            {"email": "x" * 100_000},
        ]
        for data in cases:
            with self.subTest(data=str(data)[:60]):
                response = self.post({"source": "signup-page", **data}, json=True)
                self.assertEqual(response.status_code, 400)
        self.assertEqual(Subscriber.objects.count(), 0)

    def test_an_over_long_next_is_cut_not_refused(self):
        response = self.post({"email": "ada@example.com", "next": "/" + "n" * 5000})
        self.assertEqual(response.status_code, 303)
        self.assertEqual(len(Subscription.objects.get().source_url), 300)

    def test_odd_unicode_in_other_fields_is_harmless(self):
        for char in INVISIBLE:
            response = self.post(
                {
                    "email": "ada@example.com",
                    "next": f"/briefs/{char}x/",
                    "source": f"footer{char}",
                    "newsletters": [f"1{char}"],
                }
            )
            self.assertIn(response.status_code, (303, 400))
        self.assertLessEqual(Subscriber.objects.count(), 1)


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


class ImportInputTests(TestCase):
    def setUp(self):
        self.daily = default_newsletter()
        self.client.force_login(make_user("chief", superuser=True))

    def upload(self, text: str):
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(
                "/admin/newsletter/subscriber/import/",
                {
                    "file": SimpleUploadedFile("odd.csv", text.encode()),
                    "newsletter": self.daily.pk,
                    "mode": "confirmed",
                    "consent": "on",
                },
            )

    def test_a_nul_anywhere_in_the_file_is_a_form_error_naming_its_line(self):
        # Past the first 4 KB, where the "binary file" check looks.
        text = "email,name\n" + "".join(
            f"r{i}@example.com,Reader {i}\n" for i in range(300)
        )
        text += "ok2@example.com,Nul\x00name\n"
        tried()
        response = self.upload(text)
        self.assertContains(response, "Line 302 contains a NUL character")
        self.assertEqual(SubscriberImport.objects.count(), 0)
        self.assertEqual(Subscriber.objects.count(), 0)

    def test_odd_unicode_and_over_long_rows_are_reported_not_imported(self):
        # A NUL has its own test above: it refuses the whole file.
        visible_or_not = [c for c in INVISIBLE if c != "\x00"]
        rows = ["email,name", "ok@example.com," + "n" * 5000]
        rows += [f"a{c}da{i}@example.com,Ada" for i, c in enumerate(visible_or_not)]
        rows += [
            "b" * 300 + "@example.com,Long",
            "ok3@example.com,\u202eReversed",
        ]
        tried(len(rows) - 1)
        response = self.upload("\n".join(rows) + "\n")
        self.assertEqual(response.status_code, 302)
        job = SubscriberImport.objects.get()
        self.assertEqual(job.status, SubscriberImport.Status.DONE, job.notes)
        imported = dict(Subscriber.objects.values_list("email", "name"))
        # Invisible characters in an address are refused; a name is cut to
        # its field.
        self.assertEqual(set(imported), {"ok@example.com", "ok3@example.com"})
        self.assertEqual(imported["ok@example.com"], "n" * 100)
        reported = {item["email"][:6] for item in job.report}
        self.assertIn("b" * 6, reported)
        self.assertEqual(len(job.report), len(visible_or_not) + 1)
        page = self.client.get(f"/admin/newsletter/subscriber/import/{job.pk}/")
        self.assertEqual(page.status_code, 200)


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


# Open redirects ----------------------------------------------------------------

OFF_SITE = [
    "//evil.example/",
    "///evil.example/",
    "////evil.example/",
    "https://evil.example/",
    "http://evil.example",
    "https:evil.example",
    "http:/evil.example",
    "/\\evil.example/",
    "\\\\evil.example",
    "\\/evil.example",
    " //evil.example",
    "\t//evil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://testserver@evil.example/",
    "https://evil.example\\@testserver/",
    "//testserver.evil.example/",
    "https://testserver.evil.example/",
    "http://[::1]:80@evil.example/",
    "\x00//evil.example",
    "/\x00/evil.example",
    "\u3002evil.example",
    "//evil\u3002example",
    "https://evil.example%23@testserver/",
]


def is_on_site(url: str) -> bool:
    """What a browser would do with `url` on http://testserver/."""
    cleaned = url.strip().replace("\\", "/")
    cleaned = re.sub(r"[\t\n\r]", "", cleaned)
    parts = urlsplit(cleaned)
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return False
    return parts.netloc in ("", "testserver") and not cleaned.startswith("//")


def back_link(html: str) -> str | None:
    found = re.search(r'href="([^"]*)">Back to where you were', html)
    return unescape(found.group(1)) if found else None


@NO_LIMITS
class OpenRedirectTests(TestCase):
    def setUp(self):
        default_newsletter()

    def test_the_signup_redirect_stays_on_site(self):
        for target in OFF_SITE:
            tried()
            with self.subTest(target=target):
                response = Client().post(
                    "/newsletter/",
                    {"email": "ada@example.com", "next": target},
                )
                self.assertEqual(response.status_code, 303)
                location = response["Location"]
                self.assertTrue(location.startswith("/newsletter/check-your-inbox/"))
                for kept in parse_qs(urlsplit(location).query).get("next", []):
                    self.assertTrue(is_on_site(kept), kept)
                back = back_link(self.client.get(location).content.decode())
                self.assertTrue(back is None or is_on_site(back), back)

    def test_the_check_inbox_page_links_back_only_to_this_site(self):
        for target in OFF_SITE:
            tried()
            with self.subTest(target=target):
                response = self.client.get(
                    "/newsletter/check-your-inbox/", {"next": target}
                )
                self.assertEqual(response.status_code, 200)
                back = back_link(response.content.decode())
                self.assertTrue(back is None or is_on_site(back), back)

    def test_recorded_consent_pages_are_paths_on_this_site(self):
        for target in OFF_SITE:
            tried()
            Client().post("/newsletter/", {"email": "ada@example.com", "next": target})
        pages = set(Subscription.objects.values_list("source_url", flat=True))
        pages |= set(SubscriptionEvent.objects.values_list("detail", flat=True))
        self.assertTrue(all(is_on_site(p) for p in pages), pages)

    def test_an_on_site_next_still_works(self):
        response = Client().post(
            "/newsletter/", {"email": "ada@example.com", "next": "/briefs/x/?a=1"}
        )
        self.assertEqual(
            response["Location"],
            "/newsletter/check-your-inbox/?next=%2Fbriefs%2Fx%2F%3Fa%3D1",
        )


# Property-based: never a 500 -------------------------------------------------

text = st.text(max_size=300)
hostile_text = st.one_of(
    text,
    st.sampled_from(INJECTIONS + INVISIBLE + OFF_SITE + [payload("p")]),
    st.builds(
        lambda a, b, c: a + b + c,
        text,
        st.sampled_from(INVISIBLE + ["@", "\r\n", "%", "/", ".."]),
        text,
    ),
)
path_segment = st.one_of(
    st.text(min_size=1, max_size=120),
    st.from_regex(
        r"[0-9a-z]{1,14}\.[0-9a-z]{1,14}\.[A-Za-z0-9_-]{0,20}", fullmatch=True
    ),
    st.from_regex(
        r"[0-9a-z]{1,14}:[A-Za-z0-9_-]{5,8}:[A-Za-z0-9_-]{20,50}", fullmatch=True
    ),
)
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@NO_LIMITS
class NeverA500Tests(HypothesisTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.daily = default_newsletter()
        cls.reader = make_subscriber("ada@example.com", newsletters=[cls.daily])
        make_newsletter(name="Weekly", slug="weekly")

    def check(self, response):
        tried()
        self.assertLess(response.status_code, 500, response.content[:500])

    @FUZZ
    @given(
        email=hostile_text,
        next_=hostile_text,
        source=hostile_text,
        website=st.sampled_from(["", "x"]),
        lists=st.lists(hostile_text, max_size=5),
        json=st.booleans(),
    )
    def test_the_signup_form(self, email, next_, source, website, lists, json):
        data = {"email": email, "next": next_, "source": source, "website": website}
        if lists:
            data["newsletters"] = lists
        headers = {"HTTP_ACCEPT": "application/json"} if json else {}
        self.check(Client().post("/newsletter/", data, **headers))

    @FUZZ
    @given(lists=st.lists(hostile_text, max_size=5), leave=st.booleans())
    def test_the_preferences_form(self, lists, leave):
        data = {"newsletters": lists}
        if leave:
            data["unsubscribe_all"] = ""
        url = f"/newsletter/preferences/{tokens.preferences_token(self.reader.pk)}/"
        self.check(Client().post(url, data))

    @FUZZ
    @given(
        kind=st.sampled_from(["confirm", "preferences", "unsubscribe", "archive"]),
        segment=path_segment,
        method=st.sampled_from(["get", "post", "head"]),
        body=st.sampled_from(["", "List-Unsubscribe=One-Click", "unsubscribe_all="]),
    )
    def test_the_token_endpoints(self, kind, segment, method, body):
        quoted = quote(segment, safe="")
        url = {
            "confirm": f"/newsletter/confirm/{quoted}/",
            "preferences": f"/newsletter/preferences/{quoted}/",
            "unsubscribe": f"/u/{quoted}/",
            "archive": f"/newsletter/archive/{quoted}/",
        }[kind]
        client = Client()
        if method == "post":
            response = client.post(
                url, body, content_type="application/x-www-form-urlencoded"
            )
        else:
            response = getattr(client, method)(url)
        self.check(response)

    @FUZZ
    @given(slug=path_segment, pk=st.integers(min_value=0, max_value=10**30))
    def test_archive_editions(self, slug, pk):
        self.check(Client().get(f"/newsletter/archive/{quote(slug, safe='')}/{pk}/"))
