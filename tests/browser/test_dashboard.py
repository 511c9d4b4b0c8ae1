"""The admin home's desk in Chromium: an editor goes from a panel to its list."""

import pytest

from articles.models import Article
from tests.factories import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
def test_an_editor_opens_the_briefs_waiting_for_review_from_the_desk(admin_page, width):
    page = admin_page
    make_article(headline="Ferry timetable changes", status=Article.Status.REVIEW)
    make_article(headline="Already out", status=Article.Status.PUBLISHED)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/admin/")
    desk = page.locator(".desk")
    panel = desk.locator(".desk-panel", has_text="In review")
    assert panel.locator(".desk-panel__count").inner_text() == "1"
    assert panel.is_visible()
    # The desk comes before the list of models, on the first screen.
    assert desk.bounding_box()["y"] < page.locator("#content-main").bounding_box()["y"]
    assert panel.bounding_box()["y"] < 900
    panel.get_by_role("link", name="In review").click()
    page.wait_for_url("**/admin/articles/article/?desk=review")
    rows = page.locator("#result_list tbody tr").all_inner_texts()
    assert len(rows) == 1 and "Ferry timetable changes" in rows[0]
    assert page.js_errors == []
