import pytest

from tests.factories import (
    label,
    make_article,
    make_bullet,
    make_category,
    make_section,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reader_opens_home_clicks_a_brief_and_reads_its_sections(page):
    category = make_category(name="World", slug="world")
    article = make_article(
        headline="Harbour cranes return to work", slug="cranes", category=category
    )
    why = make_section(
        article, position=0, label=label("Why it matters"), text="Exports depend on it."
    )
    zoom = make_section(article, position=1, label=label("Zoom in"))
    make_bullet(zoom, "Ten cranes restarted.", position=0)
    make_bullet(zoom, "Two remain idle.", position=1)
    assert why.pk

    page.goto("/")
    page.get_by_role("link", name="Harbour cranes return to work").click()
    page.wait_for_url("**/briefs/cranes/")

    assert page.locator("h1").inner_text() == "Harbour cranes return to work"
    labels = page.locator(".brief-section h2").all_inner_texts()
    assert labels == ["Why it matters", "Zoom in"]
    bullets = page.locator(".brief-section").nth(1).locator("li").all_inner_texts()
    assert bullets == ["Ten cranes restarted.", "Two remain idle."]
    assert page.js_errors == []
