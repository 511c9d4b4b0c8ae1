"""The edition page in the admin shows a live progress bar while sending."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from newsletter import sending
from newsletter.models import Delivery, Edition
from tests.factories import make_brief
from tests.newsletter.factories import default_newsletter, make_audience, make_edition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DUMMY = {
    "default": {
        "BACKEND": "django.tasks.backends.dummy.DummyBackend",
        "QUEUES": ["default", "email"],
    }
}


def test_the_progress_bar_follows_the_ledger_and_shows_the_final_counts(
    admin_page, settings
):
    settings.TASKS = DUMMY  # nothing sends: the test moves the ledger itself
    daily = default_newsletter()
    make_audience(daily, 6)
    edition = make_edition(daily, [make_brief()], subject="Live progress")
    sending.start(edition.pk)
    page = admin_page
    page.goto(f"/admin/newsletter/edition/{edition.pk}/change/")
    panel = page.locator(".nl-progress")
    assert panel.locator("[data-field=remaining]").inner_text() == "6"

    ids = list(Delivery.objects.filter(edition=edition).values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids[:4]).update(
        status="sent", sent_at=timezone.now()
    )
    expect(panel.locator("[data-field=sent]")).to_have_text("4")
    assert page.locator("progress[data-bar]").evaluate("el => el.value") == 4
    assert panel.locator("[data-field=remaining]").inner_text() == "2"

    Delivery.objects.filter(pk__in=ids[4:]).update(status="failed")
    sending.finish_if_done(edition.pk)
    expect(page.locator(".nl-state strong")).to_have_text("Sent")
    assert panel.locator("[data-field=failed]").inner_text() == "2"
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENT
    assert page.js_errors == []


def test_a_pause_shows_up_on_the_open_page_and_its_button_resumes(admin_page, settings):
    settings.TASKS = DUMMY  # nothing sends: the test pauses the send itself
    daily = default_newsletter()
    make_audience(daily, 6)
    edition = make_edition(daily, [make_brief()], subject="Paused send")
    sending.start(edition.pk)
    page = admin_page
    page.goto(f"/admin/newsletter/edition/{edition.pk}/change/")
    assert page.locator(".nl-blocked").count() == 0

    # The breaker trips in a worker while the editor watches the page.
    sending.pause(
        edition.pk,
        reason="550 5.7.1",
        reply="550 5.7.1 Relaying denied",
        check="20 messages in a row were refused with 550 5.7.1.",
    )
    expect(page.locator(".nl-blocked h2")).to_have_text("Sending is paused")
    expect(page.locator(".nl-state strong")).to_have_text("Paused")
    expect(page.locator(".nl-reply")).to_have_text("550 5.7.1 Relaying denied")
    assert page.locator(".nl-checks li").count() == 4

    page.get_by_role("button", name="Resume sending").click()
    expect(page.locator(".messagelist")).to_contain_text("Sending has resumed")
    assert page.locator(".nl-blocked").count() == 0
    assert not Edition.objects.get(pk=edition.pk).is_blocked
    assert page.js_errors == []
