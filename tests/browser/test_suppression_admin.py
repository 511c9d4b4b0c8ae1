"""The suppression list in the admin, at phone and desktop widths, light and
dark: searchable, with why and since when, and a block added by hand."""

import pytest
from playwright.sync_api import expect

from newsletter.models import Suppression
from tests.helpers import no_wider_than_the_viewport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_editor_finds_why_an_address_is_not_mailed_and_blocks_another(
    admin_page, docshot
):
    R = Suppression.Reason
    for address, reason, detail, source in [
        ("gone@harbour.example", R.HARD_BOUNCE, "550 5.1.1 No such user", "postmark"),
        ("angry@harbour.example", R.COMPLAINT, "Marked as spam", "amazon_ses"),
        ("full@harbour.example", R.SOFT_BOUNCES, "452 4.2.2 Mailbox full", "mailgun"),
        ("typo@harbur.example", R.BLOCKED, "Asked by phone", "admin (chief)"),
    ]:
        Suppression.objects.create(
            address=address, reason=reason, detail=detail, source=source
        )
    page = admin_page
    page.goto("/admin/newsletter/suppression/")
    expect(page.locator("#result_list tbody tr")).to_have_count(4)
    docshot("suppression-list")

    page.fill("#searchbar", "gone@")
    page.keyboard.press("Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("Hard bounce")

    page.goto("/admin/newsletter/suppression/add/")
    page.fill("#id_address", "  Printer@Harbour.Example ")
    page.fill("#id_detail", "A shared mailbox that forwards to a printer")
    docshot("suppression-add")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_be_visible()
    blocked = Suppression.objects.get(address="printer@harbour.example")
    assert blocked.reason == R.BLOCKED
    assert not page.js_errors
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/admin/newsletter/suppression/")
        assert no_wider_than_the_viewport(page), width
