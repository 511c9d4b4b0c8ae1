"""The edition page in the admin shows a live progress bar while sending."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Article
from newsletter import pausing, sending, tasks
from newsletter.models import Delivery, Edition
from tests.factories import make_brief
from tests.helpers import (
    DB_TASKS,
    DUMMY_TASKS,
    IMMEDIATE_TASKS,
    no_wider_than_the_viewport,
)
from tests.newsletter.factories import default_newsletter, make_audience, make_edition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_started_edition(page, subject: str):
    """An edition of one brief to six readers, started, open in the admin."""
    daily = default_newsletter()
    make_audience(daily, 6)
    edition = make_edition(daily, [make_brief()], subject=subject)
    tasks.start(edition.pk)
    page.goto(f"/admin/newsletter/edition/{edition.pk}/change/")
    return edition


def test_the_progress_bar_follows_the_ledger_and_shows_the_final_counts(
    admin_page, settings
):
    settings.TASKS = DUMMY_TASKS  # nothing sends: the test moves the ledger itself
    page = admin_page
    edition = open_started_edition(page, "Live progress")
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
    settings.TASKS = DUMMY_TASKS  # nothing sends: the test pauses the send itself
    page = admin_page
    edition = open_started_edition(page, "Paused send")
    assert page.locator(".nl-blocked").count() == 0

    # The breaker trips in a worker while the editor watches the page.
    pausing.pause(
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


INTRO = (
    "<p>Good morning. Three briefs today: a defence pact in the making, a "
    'central bank in no hurry, and export rules the <a href="https://example.com/'
    'rules">industry</a> saw coming.</p>'
)


def test_composing_testing_and_sending_an_edition(admin_page, docshot, settings):
    # A backend that can run tasks later, so the page offers a schedule.
    settings.TASKS = DB_TASKS
    daily = default_newsletter()
    make_audience(daily, 4)
    # The demo's briefs, so the guide's pictures show real-looking ones.
    call_command("seed_demo", "--no-admin", "--no-images", stdout=io.StringIO())
    briefs = list(Article.objects.published().order_by("-published_at")[:3])
    edition = make_edition(
        daily,
        briefs,
        subject="Defence ties, steady rates and a chip squeeze",
        preheader="Three briefs, five minutes",
        intro=INTRO,
    )
    page = admin_page
    page.goto(f"/admin/newsletter/edition/{edition.pk}/change/")

    # Composing: the briefs in order by headline, no empty bars, real buttons.
    titles = page.locator("#items-group tr.has_original td.original p")
    assert [t.strip() for t in titles.all_inner_texts()] == [b.headline for b in briefs]
    for heading in page.locator("#content h2").all_inner_texts():
        assert heading.strip()
    send_now = page.get_by_role("button", name="Send now…")
    send_test = page.get_by_role("button", name="Send a test to me")
    expect(send_now).to_be_visible()
    expect(page.get_by_role("button", name="Schedule")).to_be_visible()
    docshot("edition-compose")
    page.set_viewport_size({"width": 390, "height": 900})
    assert no_wider_than_the_viewport(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The test button saves what was typed first.
    page.fill("#id_subject", "Defence ties, steady rates and the chip squeeze")
    send_test.click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Saved. A test copy was sent to chief@example.com."
    )
    edition.refresh_from_db()
    assert edition.subject == "Defence ties, steady rates and the chip squeeze"

    # Send now… asks first, then sends; the page becomes the record.
    page.get_by_role("button", name="Send now…").click()
    expect(page.locator("#content-main")).to_contain_text("goes to 4 confirmed")
    settings.TASKS = IMMEDIATE_TASKS  # the send runs inside the request, to locmem
    page.get_by_role("button", name="Yes, send it now").click()
    expect(page.locator(".messagelist")).to_contain_text("Sent to 4 subscribers.")
    expect(page.locator(".nl-state strong")).to_have_text("Sent")
    assert page.locator("#content [type=submit], #content button").count() == 0
    assert (
        page.locator("#content input, #content textarea, #content select").count() == 0
    )
    assert page.locator("[data-field=sent]").inner_text() == "4"
    assert page.locator("[data-field=total]").inner_text() == "4"
    intro = page.locator(".nl-rich")
    assert "<p>" not in intro.inner_text()
    expect(intro.get_by_role("link", name="industry")).to_be_visible()
    assert page.locator(".nl-briefs li").all_inner_texts() == [
        b.headline for b in briefs
    ]
    expect(page.get_by_role("link", name="Archive page")).to_have_attribute(
        "href", edition.get_absolute_url()
    )
    docshot("edition-sent")
    page.set_viewport_size({"width": 390, "height": 900})
    assert no_wider_than_the_viewport(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The email itself, as sent, in a mail-sized window.
    page.goto(f"/admin/newsletter/edition/{edition.pk}/preview/")
    expect(page.get_by_text(briefs[0].headline).first).to_be_visible()
    docshot("edition-email", widths=(375, 600))
    page.set_viewport_size({"width": 375, "height": 900})
    assert no_wider_than_the_viewport(page)
    # In dark mode the reading-time box keeps its accent bar.
    page.emulate_media(color_scheme="dark")
    accent = "getComputedStyle(document.querySelector('.count')).borderLeftColor"
    assert page.evaluate(accent) == "rgb(255, 138, 128)"
    assert page.js_errors == []
