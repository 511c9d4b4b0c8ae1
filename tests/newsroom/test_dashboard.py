"""The admin home's desk: each panel shows what its linked list shows."""

import re
from datetime import timedelta

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, Correction
from newsletter.models import Edition, Subscription
from tests.factories import make_article, make_author, make_role_user, make_user
from tests.newsletter.factories import (
    default_newsletter,
    make_edition,
    make_subscriber,
)


def panel(html: str, title: str) -> str:
    """The HTML of the desk panel headed `title`."""
    for chunk in html.split('<article class="desk-panel">')[1:]:
        if f">{title}</a>" in chunk.split("</h3>")[0]:
            return chunk.split("</article>")[0]
    raise AssertionError(f"no panel {title!r}")


def link_of(chunk: str) -> str:
    return re.search(r'<h3 class="desk-panel__title">\s*<a href="([^"]+)"', chunk)[1]


class DeskTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.chief = make_user("chief", superuser=True)
        cls.other = make_user("other", staff=True)
        now = timezone.now()
        cls.review = make_article(
            headline="Port strike talks resume",
            status=Article.Status.REVIEW,
            authors=[make_author(name="Lena Ortiz")],
        )
        cls.scheduled = make_article(
            headline="Budget vote at noon", published_at=now + timedelta(hours=3)
        )
        cls.live = make_article(headline="Rates held", published_at=now)
        cls.mine = make_article(
            headline="My draft on tariffs",
            status=Article.Status.DRAFT,
            created_by=cls.chief,
        )
        cls.theirs = make_article(
            headline="Their draft", status=Article.Status.DRAFT, created_by=cls.other
        )
        Correction.objects.create(article=cls.live, text="The rate was 4.25%.")
        old = make_article(headline="Old news")
        Correction.objects.create(
            article=old, text="Old fix.", created_at=now - timedelta(days=9)
        )
        newsletter = default_newsletter()
        cls.sent = make_edition(
            newsletter,
            subject="Tuesday's briefs",
            status=Edition.Status.SENT,
            started_at=now - timedelta(hours=2),
            recipients_count=1200,
            sent_count=1195,
            failed_count=5,
        )
        make_subscriber("new@example.com", newsletters=[newsletter])
        make_subscriber(
            "pending@example.com",
            newsletters=[newsletter],
            status=Subscription.Status.PENDING,
        )
        veteran = make_subscriber("veteran@example.com", newsletters=[newsletter])
        veteran.created_at = now - timedelta(days=30)
        veteran.save()

    def desk(self, user) -> str:
        self.client.force_login(user)
        response = self.client.get("/admin/")
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def headlines_in_list(self, url: str) -> set[str]:
        html = self.client.get(url).content.decode()
        self.assertNotIn("errornote", html)
        return {
            h
            for h in Article.objects.values_list("headline", flat=True)
            if f">{h}<" in html
        }

    def test_each_briefs_panel_lists_what_its_filtered_list_shows(self):
        html = self.desk(self.chief)
        expected = {
            "In review": {"Port strike talks resume"},
            "Scheduled next": {"Budget vote at noon"},
            "My drafts": {"My draft on tariffs"},
            "Corrections this week": {"Rates held"},
        }
        for title, headlines in expected.items():
            with self.subTest(title):
                chunk = panel(html, title)
                shown = {
                    h
                    for h in Article.objects.values_list("headline", flat=True)
                    if f">{h}</a>" in chunk
                }
                self.assertEqual(shown, headlines)
                self.assertIn(
                    f'<span class="desk-panel__count">{len(headlines)}</span>', chunk
                )
                self.assertEqual(self.headlines_in_list(link_of(chunk)), headlines)

    def test_the_last_sends_show_their_figures(self):
        chunk = panel(self.desk(self.chief), "Last sends")
        self.assertIn("Tuesday&#x27;s briefs", chunk)
        self.assertIn("1,195 of 1,200 delivered, 5 failed", chunk)
        self.assertIn(f"/admin/newsletter/edition/{self.sent.pk}/change/", chunk)

    def test_a_paused_send_says_so(self):
        make_edition(
            default_newsletter(),
            subject="Blocked by the relay",
            status=Edition.Status.SENDING,
            started_at=timezone.now(),
            blocked_at=timezone.now(),
        )
        chunk = panel(self.desk(self.chief), "Last sends")
        end = chunk.index("Blocked by the relay")
        row = chunk[chunk.rindex("<li", 0, end) : end]
        self.assertIn('<span class="desk-panel__badge">Paused</span>', row)

    def test_signups_count_new_confirmed_readers_and_link_to_them(self):
        chunk = panel(self.desk(self.chief), "Signups this week")
        self.assertIn('<p class="desk-panel__figure"><a href=', chunk)
        self.assertRegex(chunk, r">1</a></p>")
        self.assertIn("1 waiting to confirm", chunk)
        listed = self.client.get(link_of(chunk).replace("&amp;", "&"))
        html = listed.content.decode()
        self.assertIn("new@example.com", html)
        self.assertIn("pending@example.com", html)
        self.assertNotIn("veteran@example.com", html)

    def test_a_writer_sees_only_their_own_briefs_and_no_newsletter_panels(self):
        writer = make_role_user("wendy", "Writer")
        author = make_author(name="Wendy", user=writer)
        make_article(
            headline="Wendy's brief in review",
            status=Article.Status.REVIEW,
            authors=[author],
        )
        html = self.desk(writer)
        self.assertIn("Wendy&#x27;s brief in review", panel(html, "In review"))
        self.assertNotIn("Port strike talks resume", html)
        self.assertNotIn("Last sends", html)
        self.assertNotIn("Signups this week", html)

    def test_the_desk_costs_a_fixed_number_of_queries(self):
        self.client.force_login(self.chief)
        self.client.get("/admin/")  # sessions, content types: warm
        with CaptureQueriesContext(connection) as first:
            self.client.get("/admin/")
        for n in range(10):
            make_article(
                headline=f"More in review {n}",
                status=Article.Status.REVIEW,
                authors=[make_author(name=f"A{n}")],
            )
        with self.assertNumQueries(len(first.captured_queries)):
            self.client.get("/admin/")
