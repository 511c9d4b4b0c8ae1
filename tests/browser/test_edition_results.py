"""An edition's results page in the admin, at phone and desktop widths, light and dark."""

import io
import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Article
from newsletter import tasks
from newsletter.models import Click, Delivery, SubscriptionEvent, TrackedLink
from tests.helpers import IMMEDIATE_TASKS, no_wider_than_the_viewport
from tests.newsletter.factories import default_newsletter, make_audience, make_edition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_results_of_a_sent_edition(admin_page, docshot, settings):
    settings.TASKS = IMMEDIATE_TASKS
    daily = default_newsletter()
    readers = make_audience(daily, 60)
    call_command("seed_demo", "--no-admin", "--no-images", stdout=io.StringIO())
    briefs = list(Article.objects.published().order_by("-published_at")[:3])
    edition = make_edition(
        daily, briefs, subject="Defence ties, steady rates and a chip squeeze"
    )
    tasks.start(edition.pk)
    edition.refresh_from_db()
    links = list(TrackedLink.objects.filter(edition=edition))
    # Readers click over two days, most in the first hours.
    pick = random.Random(15)
    start = edition.started_at
    for reader in readers[:40]:
        for _ in range(pick.choice((1, 1, 1, 2))):
            Click.objects.create(
                link=pick.choice(links[:4] if pick.random() < 0.8 else links),
                edition=edition,
                subscriber=reader,
                at=start + timedelta(hours=min(pick.expovariate(0.25), 47.5)),
            )
    Delivery.objects.filter(subscriber=readers[59]).update(
        bounced_at=timezone.now(), bounce_type="hard"
    )
    Delivery.objects.filter(subscriber=readers[58]).update(
        status="failed", smtp_code=552, last_error="5.2.2 Mailbox full"
    )
    for reader, source in (
        (readers[50], "one-click"),
        (readers[51], "preferences page"),
    ):
        SubscriptionEvent.objects.create(
            subscription=reader.subscriptions.first(),
            kind="unsubscribed",
            source=source,
            edition=edition,
        )

    page = admin_page
    page.goto(f"/admin/newsletter/edition/{edition.pk}/change/")
    page.get_by_role("link", name="Results", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Results")
    counts = dict(
        zip(
            page.locator(".nl-counts dt").all_inner_texts(),
            page.locator(".nl-counts dd").all_inner_texts(),
            strict=True,
        )
    )
    assert counts["Recipients"] == "60"
    assert counts["Bounced"] == "1"
    assert counts["Unsubscribed"] == "2"
    assert counts["Readers who clicked"] == "40"
    assert page.locator("svg rect.nl-clicks").count() > 5
    assert page.locator(".nl-links tbody tr").count() == len(links)
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
    assert not page.js_errors
    docshot("edition-results")
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert no_wider_than_the_viewport(page), width
