"""Every newsletter page passes the Nu HTML Checker with no errors."""

from django.test import TestCase

from newsletter import starting, tokens
from newsletter.models import Edition
from tests.factories import make_brief
from tests.newsletter.factories import default_newsletter, make_edition, make_subscriber
from tests.reader_pages import NuHtmlCheckerMixin


class NewsletterPagesHtmlTests(NuHtmlCheckerMixin, TestCase):
    def pages(self):
        daily = default_newsletter()
        pending = make_subscriber(
            "new@example.com", newsletters=[daily], status="pending"
        )
        reader = make_subscriber("ada@example.com", newsletters=[daily])
        edition = make_edition(
            daily, [make_brief(sections=3, bullets=2)], intro="<p>Hi.</p>"
        )
        starting.freeze(edition)
        edition.status = Edition.Status.SENT
        edition.save()
        return {
            "signup-error": (
                "post",
                "/newsletter/",
                {"email": "nope", "source": "signup-page"},
                400,
            ),
            "check-inbox": ("get", "/newsletter/check-your-inbox/?next=/", None, 200),
            "confirm-ask": (
                "get",
                f"/newsletter/confirm/{tokens.confirmation_token(pending.pk)}/",
                None,
                200,
            ),
            "confirm-done": (
                "get",
                f"/newsletter/confirm/{tokens.confirmation_token(reader.pk)}/",
                None,
                200,
            ),
            "confirm-bad": ("get", "/newsletter/confirm/x:y:z/", None, 400),
            "preferences": (
                "get",
                f"/newsletter/preferences/{tokens.preferences_token(reader.pk)}/?saved=1",
                None,
                200,
            ),
            "preferences-bad": ("get", "/newsletter/preferences/1.x/", None, 400),
            "unsubscribe-ask": (
                "get",
                f"/u/{tokens.unsubscribe_token(reader.pk, daily.pk)}/",
                None,
                200,
            ),
            "unsubscribe-done": (
                "post",
                f"/u/{tokens.unsubscribe_token(reader.pk, daily.pk)}/",
                {},
                200,
            ),
            "unsubscribe-bad": ("get", "/u/1.1.x/", None, 400),
            "archive": ("get", "/newsletter/archive/", None, 200),
            "archive-list": ("get", "/newsletter/archive/daily/", None, 200),
            "archive-edition": ("get", edition.get_absolute_url(), None, 200),
        }

    def test_every_newsletter_page_has_no_errors(self):
        for name, (method, url, data, status) in self.pages().items():
            response = getattr(self.client, method)(url, data)
            self.assertEqual(response.status_code, status, url)
            self.keep_page(name, url, response)
        self.assertNoHtmlErrors()
