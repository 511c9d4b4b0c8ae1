"""The edition's admin page: composing a draft, and the record of a sent one."""

import re

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test.html import Element, parse_html
from django.test.utils import CaptureQueriesContext

from newsletter import sending, tasks
from newsletter.models import Delivery, Edition
from tests.factories import make_brief, make_user
from tests.newsletter.factories import make_audience, make_edition
from tests.newsletter.test_admin import AdminTestCase

INTRO = (
    '<p>Good <strong>morning</strong>: <a href="https://example.com/">ports</a>.</p>'
)


def headings(node) -> list[str]:
    """The text of every h1–h4 under `node`."""
    found = []
    for child in getattr(node, "children", []):
        if isinstance(child, Element):
            if child.name in ("h1", "h2", "h3", "h4"):
                found.append(text_of(child))
            found += headings(child)
    return found


def text_of(node) -> str:
    if isinstance(node, str):
        return node.strip()
    return " ".join(t for t in (text_of(c) for c in node.children) if t)


def modules(node) -> list[Element]:
    """Every element with the admin's `module` class (a boxed, headed block)."""
    found = []
    for child in getattr(node, "children", []):
        if isinstance(child, Element):
            if "module" in dict(child.attributes).get("class", "").split():
                found.append(child)
            found += modules(child)
    return found


def content_html(response) -> str:
    """The page's content area (the header's Log out button is a form too)."""
    html = response.content.decode()
    return html[html.index('<div id="content"') : html.index("<!-- END Content -->")]


def content(response) -> Element:
    return parse_html(content_html(response))


class EditionPageTestCase(AdminTestCase):
    def setUp(self):
        super().setUp()
        self.brief = make_brief(headline="Cranes return to the harbour")
        self.edition = make_edition(
            self.daily,
            [self.brief],
            subject="Ports reopen",
            preheader="Five minutes on the harbour",
            intro=INTRO,
        )
        self.url = f"/admin/newsletter/edition/{self.edition.pk}/change/"

    def assert_no_empty_header_bars(self, response):
        page = content(response)
        self.assertNotIn("", headings(page))
        for module in modules(page):
            heading = headings(module)
            with self.subTest(module=heading):
                self.assertNotEqual(text_of(module), " ".join(heading))


class SentEditionPageTests(EditionPageTestCase):
    def setUp(self):
        super().setUp()
        make_audience(self.daily, 5)
        tasks.start(self.edition.pk)  # on-commit tasks do not run: nothing sends
        ids = list(
            Delivery.objects.filter(edition=self.edition)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=ids[:3]).update(status="sent")
        Delivery.objects.filter(pk=ids[3]).update(status="failed")
        Delivery.objects.filter(pk=ids[4]).update(status="skipped")
        sending.finish_if_done(self.edition.pk)
        self.edition.refresh_from_db()

    def test_it_has_no_submit_buttons_and_no_form_fields(self):
        page = self.client.get(self.url)
        self.assertEqual(page.status_code, 200)
        main = content_html(page)
        for markup in ['type="submit"', "<button", 'name="subject"', "items-TOTAL"]:
            self.assertNotIn(markup, main)
        self.assertNotContains(page, "Save and continue editing")

    def test_a_post_is_refused_and_stores_nothing(self):
        before = Edition.objects.values().get(pk=self.edition.pk)
        response = self.client.post(
            self.url,
            {
                "newsletter": self.daily.pk,
                "subject": "Rewritten after the fact",
                "preheader": "",
                "intro": "",
            },
            follow=True,
        )
        self.assertRedirects(response, self.url)
        self.assertContains(response, "can no longer be changed")
        self.assertEqual(Edition.objects.values().get(pk=self.edition.pk), before)
        self.assertFalse(LogEntry.objects.exists())

    def test_it_shows_the_figures_and_the_times(self):
        page = self.client.get(self.url)
        for label, field, value in [
            ("Recipients", "total", 5),
            ("Delivered", "sent", 3),
            ("Failed", "failed", 1),
            ("Skipped", "skipped", 1),
            ("Remaining", "remaining", 0),
        ]:
            self.assertContains(
                page,
                f'<div><dt>{label}</dt><dd data-field="{field}">{value}</dd></div>',
                html=True,
            )
        started = self.edition.started_at
        self.assertContains(page, "Started")
        self.assertContains(page, "Finished")
        self.assertContains(page, f"{started:%-d %b %Y}")

    def test_it_shows_the_intro_rendered_not_as_markup(self):
        page = self.client.get(self.url)
        self.assertContains(page, "Good <strong>morning</strong>")
        self.assertNotContains(page, "&lt;p&gt;")
        self.assertNotContains(page, "&lt;strong&gt;")

    def test_it_lists_the_briefs_as_they_were_sent_by_headline(self):
        self.brief.headline = "Rewritten the day after"
        self.brief.save()
        page = self.client.get(self.url)
        self.assertContains(page, "Cranes return to the harbour")
        self.assertNotContains(page, "Rewritten the day after")
        self.assertNotContains(page, " in Ports reopen")

    def test_it_links_to_the_copy_as_sent_and_the_archive_page(self):
        page = self.client.get(self.url)
        self.assertContains(page, f'href="{self.url[:-7]}preview/"')
        self.assertContains(page, f'href="{self.edition.get_absolute_url()}"')
        archive = self.client.get(self.edition.get_absolute_url())
        self.assertContains(archive, "Cranes return to the harbour")

    def test_no_header_bar_is_empty(self):
        self.assert_no_empty_header_bars(self.client.get(self.url))

    def test_the_page_runs_the_same_queries_however_many_briefs_were_sent(self):
        def queries(url):
            with CaptureQueriesContext(connection) as captured:
                self.assertEqual(self.client.get(url).status_code, 200)
            return len(captured)

        longer = make_edition(self.daily, [make_brief() for _ in range(6)])
        tasks.start(longer.pk)
        Delivery.objects.filter(edition=longer).update(status="sent")
        sending.finish_if_done(longer.pk)
        queries(self.url)  # caches warm (content types, the site's categories)
        self.assertEqual(
            queries(f"/admin/newsletter/edition/{longer.pk}/change/"),
            queries(self.url),
        )


class SendingEditionPageTests(EditionPageTestCase):
    def test_a_send_in_progress_is_read_only_and_follows_the_ledger(self):
        make_audience(self.daily, 2)
        tasks.start(self.edition.pk)  # nothing sends: both stay pending
        page = self.client.get(self.url)
        self.assertContains(page, "data-progress-url=")
        self.assertContains(
            page,
            '<div><dt>Remaining</dt><dd data-field="remaining">2</dd></div>',
            html=True,
        )
        self.assertNotIn('type="submit"', content_html(page))
        self.assertNotContains(page, "&lt;p&gt;")
        self.assert_no_empty_header_bars(page)


class DraftEditionPageTests(EditionPageTestCase):
    def test_inline_titles_are_the_brief_headline(self):
        page = self.client.get(self.url)
        self.assertContains(page, "Cranes return to the harbour")
        self.assertNotContains(page, "Cranes return to the harbour in Ports reopen")

    def test_a_brief_added_to_the_edition_comes_last_unless_moved(self):
        second = make_brief(headline="Ferries return")
        self.edition.items.create(article=second, position=4)
        page = self.client.get(self.url).content.decode()
        for prefix in ("items-2", "items-__prefix__"):
            with self.subTest(prefix=prefix):
                self.assertRegex(
                    page, rf'<input[^>]*name="{prefix}-position"[^>]*value="5"'
                )
        new = self.client.get("/admin/newsletter/edition/add/").content.decode()
        self.assertRegex(new, r'<input[^>]*name="items-0-position"[^>]*value="0"')

    def test_send_now_and_send_test_are_buttons(self):
        html = self.client.get(self.url).content.decode()
        for label in [r"Send now…", r"Send a test to me \(chief@example\.com\)"]:
            with self.subTest(label=label):
                self.assertRegex(html, rf"<button[^>]*>\s*{label}\s*</button>")

    def test_a_draft_offers_no_link_to_an_archive_page_it_does_not_have(self):
        self.assertEqual(
            self.client.get(self.edition.get_absolute_url()).status_code, 404
        )
        page = self.client.get(self.url)
        self.assertNotContains(page, self.edition.get_absolute_url())
        self.assertNotContains(page, "View on site")

    def test_no_header_bar_is_empty(self):
        self.assert_no_empty_header_bars(self.client.get(self.url))

    def test_a_cancelled_edition_has_no_empty_header_bar(self):
        Edition.objects.filter(pk=self.edition.pk).update(
            status=Edition.Status.CANCELLED
        )
        self.assert_no_empty_header_bars(self.client.get(self.url))

    def log_in_as_a_reader_of_editions(self):
        viewer = make_user("vera", staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_edition"))
        self.client.force_login(viewer)

    def test_a_reader_without_change_permission_sees_no_empty_header_bar(self):
        self.log_in_as_a_reader_of_editions()
        self.assert_no_empty_header_bars(self.client.get(self.url))

    def test_a_reader_without_change_permission_sees_the_intro_rendered(self):
        self.log_in_as_a_reader_of_editions()
        page = self.client.get(self.url)
        self.assertContains(page, "Good <strong>morning</strong>")
        self.assertNotContains(page, "&lt;p&gt;")
        self.assertNotIn('type="submit"', content_html(page))

    def form(self, **changes) -> dict:
        item = self.edition.items.get()
        data = {
            "newsletter": self.daily.pk,
            "subject": self.edition.subject,
            "preheader": self.edition.preheader,
            "intro": self.edition.intro,
            "items-TOTAL_FORMS": 1,
            "items-INITIAL_FORMS": 1,
            "items-MIN_NUM_FORMS": 0,
            "items-MAX_NUM_FORMS": 1000,
            "items-0-id": item.pk,
            "items-0-edition": self.edition.pk,
            "items-0-article": self.brief.pk,
            "items-0-position": 0,
            "items-0-all_sections": "on",
        }
        return {**data, **changes}

    def test_send_a_test_saves_what_was_typed_first(self):
        response = self.client.post(
            self.url, self.form(subject="Ports reopen at dawn", _send_test="1")
        )
        self.assertRedirects(response, self.url)
        self.edition.refresh_from_db()
        self.assertEqual(self.edition.subject, "Ports reopen at dawn")
        self.assertEqual(self.edition.status, Edition.Status.DRAFT)
        self.assertEqual(
            [m.message()["Subject"] for m in mail.outbox],
            ["[Test] Ports reopen at dawn"],
        )

    def test_send_now_saves_first_then_asks(self):
        response = self.client.post(
            self.url, self.form(subject="Ports reopen at noon", _send_now="1")
        )
        self.assertRedirects(response, f"{self.url[:-7]}send/")
        self.edition.refresh_from_db()
        self.assertEqual(
            (self.edition.subject, self.edition.status),
            ("Ports reopen at noon", Edition.Status.DRAFT),
        )

    def test_a_new_edition_can_be_tested_from_its_first_save(self):
        data = {
            "newsletter": self.daily.pk,
            "subject": "A first try",
            "preheader": "",
            "intro": "",
            "items-TOTAL_FORMS": 1,
            "items-INITIAL_FORMS": 0,
            "items-MIN_NUM_FORMS": 0,
            "items-MAX_NUM_FORMS": 1000,
            "items-0-article": self.brief.pk,
            "items-0-position": 0,
            "items-0-all_sections": "on",
            "_send_test": "1",
        }
        add = self.client.get("/admin/newsletter/edition/add/")
        self.assertContains(add, "Send a test to me (chief@example.com)")
        response = self.client.post("/admin/newsletter/edition/add/", data)
        edition = Edition.objects.get(subject="A first try")
        self.assertRedirects(
            response, f"/admin/newsletter/edition/{edition.pk}/change/"
        )
        self.assertEqual(
            [m.message()["Subject"] for m in mail.outbox], ["[Test] A first try"]
        )

    def test_a_form_error_keeps_what_was_typed_and_sends_nothing(self):
        response = self.client.post(
            self.url, self.form(subject="Two\nlines", _send_test="1")
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Two\nlines")
        self.assertEqual(mail.outbox, [])
        self.edition.refresh_from_db()
        self.assertEqual(self.edition.subject, "Ports reopen")


def test_headings_and_text_helpers_see_an_empty_bar():
    """The empty-bar check can fail: a heading with no text, a module with
    only its heading."""
    page = parse_html('<div><h2 class="x"> </h2><div class="module"><h2>B</h2></div>')
    assert "" in headings(page)
    module = modules(page)[0]
    assert text_of(module) == " ".join(headings(module))
    assert re.sub(r"\s+", " ", text_of(parse_html("<p>a <b>b</b></p>"))) == "a b"
