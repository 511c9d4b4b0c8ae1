"""Admin lists at desktop width with the navigation sidebar open."""

import pytest

from articles.models import Article
from tests.factories import make_article, make_author, make_category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_brief_list_fits_1280px_with_headlines_as_lines(admin_page):
    page = admin_page
    world = make_category(name="World affairs", slug="world")
    authors = [make_author(name="Giulia Ferri"), make_author(name="Daniel Okafor")]
    for n, status in enumerate(Article.Status.values):
        make_article(
            headline=f"Rome and Tokyo draw closer on defence as Italy looks east {n}",
            status=status,
            category=world,
            authors=authors,
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/admin/articles/article/")
    assert page.locator("#nav-sidebar").is_visible()
    results = page.locator(".results")
    # Every column is on screen: nothing scrolls sideways out of view.
    assert results.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert page.locator("#result_list th.column-updated").is_visible()
    for cell in page.locator(
        "#result_list td.field-brief, #result_list th.field-brief"
    ).all():
        # A ten-word headline takes a few lines, not one word per line.
        assert cell.bounding_box()["width"] >= 200
        assert cell.bounding_box()["height"] < 100


def test_the_subscriber_import_page_has_the_admins_breadcrumbs(admin_page):
    page = admin_page
    page.goto("/admin/newsletter/subscriber/import/")
    crumbs = page.locator("nav[aria-label=Breadcrumbs] ol.breadcrumbs li")
    assert crumbs.all_inner_texts()[-1].strip() == "Import CSV"
    bar = page.locator(".breadcrumbs").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert bar not in ("rgba(0, 0, 0, 0)", "transparent")
