"""Markup typed into a plain field (a list's name, an edition's subject, a
reader's name, a file name) is text everywhere: escaped on reader pages, in
the archive and the admin, verbatim in plain-text mail and subjects."""

from django.test import TestCase

from newsletter import services, tokens
from newsletter.models import SubscriberImport, Subscription, SubscriptionEvent
from tests.factories import make_brief, make_user
from tests.newsletter.factories import (
    default_newsletter,
    make_edition,
    make_newsletter,
    make_subscriber,
)
from tests.newsletter.hostile import parse, payload, raw_script, tried
from tests.smtp_sink import SMTPTestMixin

S = Subscription.Status


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
