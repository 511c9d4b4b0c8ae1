from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    label,
    make_article,
    make_bullet,
    make_category,
    make_section,
)
from tests.imagefiles import upload

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
    assert labels == ["Why it matters:", "Zoom in:"]
    bullets = page.locator(".brief-section").nth(1).locator("li").all_inner_texts()
    assert bullets == ["Ten cranes restarted.", "Two remain idle."]
    assert page.js_errors == []


def test_on_a_phone_the_category_row_fades_where_more_categories_hide(page):
    for n in range(8):
        make_category(name=f"Section number {n}", slug=f"section-{n}")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/")
    nav = page.locator(".site-nav")
    assert nav.evaluate("el => el.scrollWidth > el.clientWidth")

    def fades():
        # The mask's stops, as the browser resolved them: how far each edge
        # fades, in pixels (0 = not faded).
        return nav.evaluate(
            """el => {
                const s = getComputedStyle(el);
                return [s.getPropertyValue('--nav-fade-start'),
                        s.getPropertyValue('--nav-fade-end')].map(parseFloat);
            }"""
        )

    start, end = fades()
    assert start == 0 and end > 0, (start, end)
    nav.evaluate("el => el.scrollTo({left: el.scrollWidth})")
    page.wait_for_function(
        "el => parseFloat(getComputedStyle(el).getPropertyValue('--nav-fade-end')) === 0",
        arg=nav.element_handle(),
    )
    start, end = fades()
    assert start > 0 and end == 0, (start, end)
    # On a desktop the whole row fits and nothing fades.
    page.set_viewport_size({"width": 1280, "height": 800})
    assert nav.evaluate("el => getComputedStyle(el).maskImage") == "none"


def test_a_brief_without_a_picture_fills_its_card_instead_of_leaving_a_gap(
    page, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    world = make_category(name="World", slug="world")
    for n, image in enumerate([True, False, True]):
        make_article(
            headline=f"Brief number {n}",
            slug=f"brief-{n}",
            category=world,
            dek="A short dek." if image else "Shorter.",
            hero_image=upload(f"b{n}.jpg") if image else "",
            hero_alt="A quay" if image else "",
            published_at=timezone.now() - timedelta(hours=n + 1),
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/category/world/")
    card = page.locator(".card", has_text="Brief number 1")
    neighbour = page.locator(".card", has_text="Brief number 0")
    box, other = card.bounding_box(), neighbour.bounding_box()
    assert box["y"] == other["y"] and box["height"] == other["height"]
    # The byline sits at the foot of the card, not under the dek with an
    # empty block below it.
    byline = card.locator(".byline").bounding_box()
    gap_below = box["y"] + box["height"] - (byline["y"] + byline["height"])
    assert gap_below < 40, gap_below
