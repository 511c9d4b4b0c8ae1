"""Hostile CSV files for the admin's subscriber import: a NUL is a form error
naming its line; odd Unicode and over-long rows are reported, not imported."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from newsletter.models import Subscriber, SubscriberImport
from tests.factories import make_user
from tests.newsletter.factories import default_newsletter
from tests.newsletter.hostile import INVISIBLE, tried


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
