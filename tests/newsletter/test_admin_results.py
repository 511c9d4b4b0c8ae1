"""The edition's results page in the admin, and its CSV."""

import csv
import io
from datetime import timedelta
from html import escape

from django.contrib.auth.models import Permission
from django.test import TestCase
from django.utils import timezone

from newsletter.models import Click, Delivery, TrackedLink
from tests.factories import make_user
from tests.newsletter.factories import make_audience, make_edition, make_newsletter
from tests.newsletter.test_tracking import brief_with_outside_link, send


class ResultsPageTests(TestCase):
    def setUp(self):
        self.client.force_login(make_user("chief", superuser=True))
        self.newsletter = make_newsletter(name="The Daily Brief")
        self.readers = make_audience(self.newsletter, 6)
        self.edition = make_edition(
            self.newsletter, [brief_with_outside_link()], subject="Ports reopen"
        )
        send(self.edition)
        self.edition.refresh_from_db()
        self.brief, self.outside = TrackedLink.objects.filter(edition=self.edition)
        start = self.edition.started_at
        for reader, link, hours in (
            (self.readers[0], self.outside, 0.5),
            (self.readers[1], self.outside, 1.5),
            (self.readers[2], self.brief, 3),
            (self.readers[2], self.outside, 30),
        ):
            Click.objects.create(
                link=link,
                edition=self.edition,
                subscriber=reader,
                at=start + timedelta(hours=hours),
            )
        Delivery.objects.filter(subscriber=self.readers[5]).update(
            bounced_at=timezone.now(), bounce_type="hard"
        )
        self.url = f"/admin/newsletter/edition/{self.edition.pk}/results/"

    def test_the_page_shows_the_figures_the_chart_and_the_links(self):
        page = self.client.get(self.url)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "<dt>Recipients</dt><dd>6</dd>", html=True)
        self.assertContains(page, "<dt>Bounced</dt><dd>1</dd>", html=True)
        self.assertContains(page, "<dt>Delivered</dt><dd>5</dd>", html=True)
        self.assertContains(page, "<dt>Clicks</dt><dd>4</dd>", html=True)
        self.assertContains(page, "<dt>Readers who clicked</dt><dd>3</dd>", html=True)
        self.assertContains(page, "minus those that bounced afterwards")
        body = page.content.decode()
        # One bar per hour that had clicks: hours 0, 1, 3 and 30.
        self.assertEqual(body.count('<rect class="nl-clicks"'), 4)
        # The most clicked link first.
        self.assertLess(
            body.index(escape(self.outside.url)), body.index("Harbour cranes")
        )
        self.assertNotIn("<script", body.split('id="content-main"')[1])

    def test_the_change_page_links_to_the_results(self):
        page = self.client.get(f"/admin/newsletter/edition/{self.edition.pk}/change/")
        self.assertContains(page, self.url)

    def test_the_csv_has_one_row_per_link(self):
        response = self.client.get(
            f"/admin/newsletter/edition/{self.edition.pk}/results.csv"
        )
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        self.assertEqual(
            rows,
            [
                ["link", "kind", "brief", "url", "clicks", "unique_clickers"],
                ["1", "brief", "Harbour cranes return", self.brief.url, "1", "1"],
                ["2", "link", "", self.outside.url, "3", "3"],
            ],
        )

    def test_a_staff_member_without_view_permission_is_refused(self):
        self.client.force_login(make_user("nosy", staff=True))
        self.assertEqual(self.client.get(self.url).status_code, 403)
        viewer = make_user("vera", staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_edition"))
        self.client.force_login(viewer)
        self.assertEqual(self.client.get(self.url).status_code, 200)

    def test_an_unknown_edition_is_a_404(self):
        self.assertEqual(
            self.client.get("/admin/newsletter/edition/999999/results/").status_code,
            404,
        )


class NewsletterSwitchesTests(TestCase):
    def test_a_new_newsletter_counts_clicks_and_not_opens_and_both_can_be_switched(
        self,
    ):
        self.client.force_login(make_user("chief", superuser=True))
        page = self.client.get("/admin/newsletter/newsletter/add/")
        self.assertContains(page, "Count clicks")
        self.assertContains(page, "Count opens")
        form = page.context["adminform"].form
        self.assertIs(form["track_clicks"].value(), True)
        self.assertIs(form["track_opens"].value(), False)
        newsletter = make_newsletter()
        response = self.client.post(
            f"/admin/newsletter/newsletter/{newsletter.pk}/change/",
            {
                "name": newsletter.name,
                "slug": newsletter.slug,
                "position": 0,
                "track_opens": "on",
            },
        )
        self.assertEqual(response.status_code, 302)
        newsletter.refresh_from_db()
        self.assertEqual(
            (newsletter.track_clicks, newsletter.track_opens), (False, True)
        )
