"""Line breaks and controls in what goes into a mail header (a list's name
and sender, an edition's subject, a reader's name) never add a header of
their own: refused where they come in, put on one line where they were stored
past the checks."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase

from newsletter import services
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
from tests.helpers import DUMMY_TASKS
from tests.newsletter.factories import default_newsletter, make_edition, make_subscriber
from tests.newsletter.hostile import INJECTIONS, header_names, one_line, parse, tried
from tests.smtp_sink import SMTPTestMixin

S = Subscription.Status


# Header injection ------------------------------------------------------------


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

    def start_afresh(self):
        """No mail, edition or reader left from the last value tried (the
        consent log protects its rows, so they go first)."""
        self.sink.messages.clear()
        Delivery.objects.all().delete()
        Edition.objects.all().delete()
        SubscriptionEvent.objects.all().delete()
        Subscription.objects.all().delete()
        Subscriber.objects.all().delete()

    def test_a_list_name_or_subject_cannot_add_headers_to_any_mail(self):
        from newsletter import tasks

        # Stored past the admin's checks (an older row, a shell, an import).
        for value in self.injections():
            tried(2)
            with self.subTest(value=value):
                self.start_afresh()
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
                self.start_afresh()
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
