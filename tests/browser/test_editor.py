"""Editors in the admin, in a real browser: build, reorder, paste, guidance."""

import pytest

from articles import brevity
from articles.importer import KNOWN_LABELS
from articles.models import Article
from tests.articles.test_import_command import HARBOUR
from tests.factories import label, make_article, make_bullet, make_section

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def labels():
    # Transactional tests flush the rows the data migration seeded.
    return {name: label(name) for name in KNOWN_LABELS}


@pytest.fixture
def csp_violations(admin_page):
    found = []
    admin_page.on(
        "console",
        lambda msg: (
            found.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    return found


def rich(page, textarea_id):
    """The rich-text editor that writes into the textarea `textarea_id`."""
    return page.locator(f".prose-editor:has(#{textarea_id}) .ProseMirror")


def type_rich(page, textarea_id, text):
    """Type at the end of a rich-text editor's content."""
    editor = rich(page, textarea_id)
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def add_section(page, index, *, label=None, custom=None, lead=None):
    page.locator("#sections-group .djn-add-handler.djn-level-1").last.click()
    page.wait_for_selector(f"#sections-{index}")
    if label:
        page.select_option(f"#id_sections-{index}-label", label=label)
    if custom:
        page.fill(f"#id_sections-{index}-custom_label", custom)
    if lead:
        type_rich(page, f"id_sections-{index}-text", lead)


def add_bullet(page, section, index, text):
    page.locator(f"#sections-{section} .djn-add-handler.djn-level-2").click()
    page.wait_for_selector(f"#sections-{section}-bullets-{index}")
    type_rich(page, f"id_sections-{section}-bullets-{index}-text", text)


def bullet_texts(page, section):
    """Bullet editors of a section in page order (the order drag produces)."""
    return page.evaluate(
        """(prefix) => Array.from(document.querySelectorAll('.djn-inline-form'))
            .filter((el) => new RegExp('^' + prefix + '-bullets-\\\\d+$').test(el.id))
            .map((el) => el.querySelector('.ProseMirror').innerText.trim())""",
        f"sections-{section}",
    )


def drag(page, source, target):
    """Drag `source` (a drag handle) to the top of `target`, as a hand would."""
    page.locator(target).scroll_into_view_if_needed()
    page.locator(source).scroll_into_view_if_needed()
    start = page.locator(source).bounding_box()
    end = page.locator(target).bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    to_x, to_y = end["x"] + start["width"] / 2, end["y"] + 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 25):
        page.mouse.move(x + (to_x - x) * step / 24, y + (to_y - y) * step / 24)
    page.mouse.up()


def third_bullet_dragged_to_the_top(page):
    """Drag the first section's third bullet above its first; the bullets then."""
    drag(page, "#sections-0-bullets-2 .djn-drag-handler", "#sections-0-bullets-0")
    return bullet_texts(page, 0)


def panel(page, key):
    return page.locator(f'#brevity-panel [data-brevity="{key}"]')


def test_an_editor_builds_a_brief_reorders_bullets_and_sees_it_live(
    admin_page, labels, csp_violations
):
    page = admin_page
    page.goto("/admin/articles/article/add/")
    page.locator("#id_headline").press_sequentially(
        "Harbour cranes restart after repairs"
    )
    assert page.input_value("#id_slug") == "harbour-cranes-restart-after-repairs"
    page.fill("#id_dek", "Exports resume after a week of silence.")
    type_rich(page, "id_intro", "The port reopened at dawn.")

    add_section(page, 0, label="Why it matters", lead="A third of exports pass here.")
    add_bullet(page, 0, 0, "First crane restarted.")
    add_bullet(page, 0, 1, "Second crane restarted.")
    add_bullet(page, 0, 2, "Third crane restarted.")
    add_section(page, 1, custom="Shippers are watching")
    add_bullet(page, 1, 0, "Freight rates eased.")

    # The position numbers are not shown: dragging sets them.
    position = page.locator("#id_sections-0-bullets-0-position")
    assert position.get_attribute("type") == "hidden"

    # Drag the third bullet to the top, in a section that is not saved yet.
    assert third_bullet_dragged_to_the_top(page) == [
        "Third crane restarted.",
        "First crane restarted.",
        "Second crane restarted.",
    ]

    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist")
    assert page.js_errors == []
    article = Article.objects.get(slug="harbour-cranes-restart-after-repairs")
    assert article.status == Article.Status.DRAFT
    # A stored bullet's text is not repeated above its editor.
    assert page.locator(".bullet-row").filter(has_text="First crane").count() == 1
    assert "First crane" not in page.locator("#sections-0 > h3").inner_text()

    # Once saved, drag again in the now stored section, then publish.
    assert third_bullet_dragged_to_the_top(page) == [
        "Second crane restarted.",
        "Third crane restarted.",
        "First crane restarted.",
    ]
    page.click("input[name=_publish]")
    page.wait_for_url("**/admin/articles/article/")

    page.goto("/briefs/harbour-cranes-restart-after-repairs/")
    assert page.locator("h1").inner_text() == "Harbour cranes restart after repairs"
    assert page.locator(".brief-section h2").all_inner_texts() == [
        "Why it matters:",
        "Shippers are watching:",
    ]
    assert page.locator(".brief-section").first.locator("li").all_inner_texts() == [
        "Second crane restarted.",
        "Third crane restarted.",
        "First crane restarted.",
    ]
    assert page.locator(".brief__reading-time").inner_text() == "1 min read"
    assert page.js_errors == []
    assert csp_violations == []


def test_an_editor_pastes_a_brief_reviews_the_draft_and_saves_it(
    admin_page, labels, csp_violations
):
    page = admin_page
    page.goto("/admin/articles/article/")
    page.get_by_role("link", name="New brief from text").click()
    page.fill("#id_text", HARBOUR)
    page.click("input[name=_parse]")

    # The review: structure as parsed, nothing saved yet.
    assert page.locator('[data-part="headline"]').inner_text() == (
        "Harbour workers end their strike"
    )
    assert page.locator('[data-part="label"]').all_inner_texts() == [
        "Why it matters:",
        "Driving the news:",
        "What we’re watching:",
        "Shippers are asking:",
    ]
    assert page.locator('[data-part="bullet"]').count() == 4
    assert Article.objects.count() == 0
    assert page.input_value("#id_text") == HARBOUR.replace("\r\n", "\n")

    page.click("input[name=_create]")
    page.wait_for_url("**/admin/articles/article/*/change/")
    assert "created from the pasted text" in page.locator(".messagelist").inner_text()
    assert page.input_value("#id_headline") == "Harbour workers end their strike"
    assert bullet_texts(page, 1) == [
        "Pay rises by 6% over two years.",
        "Night shifts get a new bonus <b>not markup</b> & more.",
    ]
    assert page.input_value("#id_sections-3-custom_label") == "Shippers are asking"

    page.fill("#id_dek", "Cargo is moving again after a week.")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    article = Article.objects.get()
    assert article.dek == "Cargo is moving again after a week."
    assert article.status == Article.Status.DRAFT
    assert article.sections.count() == 4
    assert page.js_errors == []
    assert csp_violations == []


def test_the_guidance_panel_follows_the_typing_and_agrees_with_python(
    admin_page, labels
):
    page = admin_page
    article = make_article(headline="Short headline", dek="A dek.")
    zoom = make_section(article, label=labels["Zoom in"], text="Lead.")
    make_bullet(zoom, "A short bullet.")
    page.goto(f"/admin/articles/article/{article.pk}/change/")

    warnings = panel(page, "warnings")
    assert "No “Why it matters” section" in warnings.inner_text()
    before = int(panel(page, "words").inner_text())

    # A long headline: the figures and advice change with no save.
    page.click("#id_headline")
    page.keyboard.press("End")
    page.keyboard.type(" that keeps going on and on well past what anyone reads")
    page.wait_for_function(
        "() => document.querySelector('[data-brevity=\"headline_words\"]').textContent === '13'"
    )
    assert int(panel(page, "words").inner_text()) == before + 11

    # A long bullet typed into the rich-text editor.
    type_rich(page, "id_sections-0-bullets-0-text", " more" * 40)
    page.wait_for_function(
        "() => document.querySelector('[data-brevity=\"warnings\"]').textContent.includes('bullet 1: 43 words')"
    )

    # Switching the label to "Why it matters" clears that advice.
    page.select_option("#id_sections-0-label", label="Why it matters")
    page.wait_for_function(
        "() => !document.querySelector('[data-brevity=\"warnings\"]').textContent.includes('No “Why')"
    )

    # The browser's numbers are Python's numbers, for the same form.
    structure = page.evaluate(
        "() => NewsroomBrevity.readForm(document.getElementById('article_form'))"
    )
    report = brevity.analyse(structure)
    assert int(panel(page, "words").inner_text()) == report.words
    assert int(panel(page, "minutes").inner_text()) == report.minutes
    assert int(panel(page, "headline_words").inner_text()) == report.headline_words
    shown = [
        t
        for t in warnings.locator("li").all_inner_texts()
        if t != "Nothing to tighten."
    ]
    assert shown == [advice.message for advice in report.warnings]
    assert page.js_errors == []


def test_preview_opens_the_unsaved_form_as_readers_will_see_it(admin_page, labels):
    page = admin_page
    article = make_article(
        headline="Stored headline", status=Article.Status.DRAFT, published_at=None
    )
    make_section(article, label=labels["Why it matters"], text="Stored lead.")
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    page.fill("#id_headline", "Typed, not saved")

    with page.context.expect_page() as opened:
        page.locator(".submit-row button.preview-button").first.click()
    preview = opened.value
    preview.wait_for_load_state()
    assert preview.locator("h1").inner_text() == "Typed, not saved"
    assert (
        "Preview of unsaved changes" in preview.locator(".preview-banner").inner_text()
    )
    article.refresh_from_db()
    assert article.headline == "Stored headline"
    # The editor's tab still holds what they typed.
    assert page.input_value("#id_headline") == "Typed, not saved"


def test_the_guidance_panel_shows_a_label_typed_with_its_colon_once(admin_page, labels):
    page = admin_page
    article = make_article(headline="Short headline", dek="A dek.")
    make_section(article, label=labels["Why it matters"], text="Lead.")
    rome = make_section(article, custom_label="Rome is responding", text="Lead.")
    make_bullet(rome, "Allies.")
    page.goto(f"/admin/articles/article/{article.pk}/change/")

    page.fill("#id_sections-1-custom_label", "Rome is responding to:")
    sections = panel(page, "sections")
    page.wait_for_function(
        "() => document.querySelector('[data-brevity=\"sections\"]')"
        ".textContent.includes('responding to')"
    )
    assert sections.locator("li").all_inner_texts() == [
        "Why it matters: 1 words, 0 bullets",
        "Rome is responding to: 2 words, 1 bullets",
    ]
    assert page.js_errors == []


SIX_SECTIONS = [
    ("Why it matters", "", "A third of the region's exports pass through the port."),
    ("Driving the news", "Cranes restart.", "Repairs took a week."),
    ("Zoom in", "", ""),
    ("By the numbers", "", ""),
    ("What we're watching", "", "Whether rates hold."),
    ("The bottom line", "", ""),
]


def six_section_brief(labels):
    """A brief as the desk writes them: six sections of three short bullets."""
    article = make_article(
        headline="Harbour cranes restart after a week of repairs, shippers say",
        dek="Exports resume on Monday after a week of silence at the container "
        "terminal; freight rates eased on the news.",
        intro="<p>The port reopened at dawn.</p>",
        status=Article.Status.DRAFT,
        published_at=None,
    )
    for name, heading, lead in SIX_SECTIONS:
        section = make_section(
            article,
            label=labels.get(name) or label(name),
            heading=heading,
            text=lead,
        )
        for n in range(3):
            make_bullet(section, f"{name}, point {n + 1}: a short line of fact.")
    return article


def test_a_six_section_brief_fits_in_a_short_page_at_1280(admin_page, labels, docshot):
    """Budget: 2,600 px for the page and 215 px for a section at 1280 px.

    A section is a line for its label and heading, a line for its lead, one
    line per bullet and the "Add a bullet" link (about 200 px for three
    bullets); the rest of the form (headline, dek, intro, filing, byline,
    corrections, actions) is about 1,300 px. The old layout measured
    7,325 px for this brief, 888 px per section.
    """
    page = admin_page
    article = six_section_brief(labels)
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    page.wait_for_selector("#sections-5 .ProseMirror")
    heights = page.evaluate(
        """() => ({
            page: document.documentElement.scrollHeight,
            sections: Array.from(document.querySelectorAll('.section-block'))
                .filter((el) => !el.id.endsWith('-empty'))
                .map((el) => el.getBoundingClientRect().height),
        })"""
    )
    assert len(heights["sections"]) == 6
    assert max(heights["sections"]) <= 215, heights
    assert heights["page"] <= 2600, heights
    # The ten-word headline is read whole, at both widths: its box spans the
    # column and wraps rather than scrolling the words out of sight.
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        box = page.evaluate(
            """() => {
                const el = document.getElementById('id_headline');
                const column = el.closest('fieldset').getBoundingClientRect();
                return {width: el.getBoundingClientRect().width, column: column.width,
                        hidden: el.scrollHeight - el.clientHeight,
                        wide: el.scrollWidth - el.clientWidth};
            }"""
        )
        assert box["width"] >= box["column"] - 40, box
        assert box["hidden"] <= 1 and box["wide"] <= 1, box
    page.set_viewport_size({"width": 1280, "height": 900})
    docshot("editor-brief", tall=True)


def rows(page, section):
    """Bullet rows of a section in page order, as (id, text), deleted ones out."""
    return page.evaluate(
        """(prefix) => Array.from(document.querySelectorAll(
                '#' + prefix + '-bullets-group .bullet-row'))
            .filter((el) => !el.id.endsWith('-empty')
                && !el.classList.contains('grp-predelete'))
            .map((el) => [el.id, el.querySelector('.ProseMirror').innerText.trim()])""",
        f"sections-{section}",
    )


def focused_row(page):
    return page.evaluate(
        "() => (document.activeElement.closest('.bullet-row') || {}).id || null"
    )


def open_draft_with_bullets(page, labels, *texts):
    """A draft whose one section ("Why it matters") has bullets of these texts,
    open in the editor; the section and its bullets."""
    article = make_article(status=Article.Status.DRAFT, published_at=None)
    section = make_section(article, label=labels["Why it matters"], text="Lead.")
    bullets = [make_bullet(section, text) for text in texts]
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    return section, bullets


def test_enter_in_a_bullet_adds_the_next_one_after_it_and_goes_there(
    admin_page, labels
):
    page = admin_page
    open_draft_with_bullets(page, labels, "First.", "Third.")

    type_rich(page, "id_sections-0-bullets-0-text", "")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.activeElement.closest('#sections-0-bullets-2')"
    )
    page.keyboard.type("Second.")
    assert [text for _, text in rows(page, 0)] == ["First.", "Second.", "Third."]
    # Enter did not split the first bullet into two paragraphs.
    first = rich(page, "id_sections-0-bullets-0-text")
    assert first.locator("p").count() == 1
    assert first.inner_text().strip() == "First."
    # Positions follow the page order, as a drag would set them.
    positions = [
        page.input_value(f"#id_{row_id}-position") for row_id, _ in rows(page, 0)
    ]
    assert positions == ["0", "1", "2"]
    assert page.js_errors == []


def test_backspace_in_an_empty_bullet_removes_it_and_goes_back(admin_page, labels):
    page = admin_page
    section, (_, stored) = open_draft_with_bullets(page, labels, "Kept.", "X")

    # A new, unsaved bullet: Enter makes it, Backspace takes it away again.
    type_rich(page, "id_sections-0-bullets-1-text", "")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.activeElement.closest('#sections-0-bullets-2')"
    )
    page.keyboard.press("Backspace")
    page.wait_for_function("() => !document.getElementById('sections-0-bullets-2')")
    assert page.input_value("#id_sections-0-bullets-TOTAL_FORMS") == "2"
    assert focused_row(page) == "sections-0-bullets-1"

    # A stored bullet emptied with Backspace is marked for deletion.
    page.keyboard.press("Backspace")  # deletes the "X"
    page.keyboard.press("Backspace")  # the bullet is empty: it goes
    page.wait_for_function(
        "() => document.getElementById('id_sections-0-bullets-1-DELETE').checked"
    )
    assert focused_row(page) == "sections-0-bullets-0"
    assert not page.locator("#sections-0-bullets-1").is_visible()
    assert [text for _, text in rows(page, 0)] == ["Kept."]

    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert [b.text for b in section.bullets.all()] == ["Kept."]
    assert not section.bullets.filter(pk=stored.pk).exists()
    assert page.js_errors == []


def test_a_section_collapses_to_its_label_and_first_words_and_stays_so(
    admin_page, labels
):
    page = admin_page
    article = make_article(status=Article.Status.DRAFT, published_at=None)
    why = make_section(
        article, label=labels["Why it matters"], text="A third of exports."
    )
    make_bullet(why, "Cranes restart.")
    zoom = make_section(article, label=labels["Zoom in"], text="Closer.")
    make_bullet(zoom, "Detail.")
    page.goto(f"/admin/articles/article/{article.pk}/change/")

    block = page.locator("#sections-0")
    toggle = block.locator(".section-block__toggle")
    assert toggle.get_attribute("aria-expanded") == "true"
    open_height = block.bounding_box()["height"]
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert block.locator(".section-block__summary").inner_text() == (
        "Why it matters A third of exports. Cranes restart."
    )
    assert not block.locator(".bullet-row").first.is_visible()
    assert block.bounding_box()["height"] < open_height / 2

    # Remembered for this page: still folded after a reload, the other not.
    page.reload()
    page.wait_for_selector("#sections-0.is-collapsed")
    assert page.locator("#sections-1.is-collapsed").count() == 0

    page.locator("#sections-0 .section-block__toggle").click()
    assert page.locator("#sections-0 .bullet-row").first.is_visible()
    page.get_by_role("button", name="Collapse all").click()
    assert page.locator(".section-block.is-collapsed").count() == 2
    page.get_by_role("button", name="Expand all").click()
    assert page.locator(".section-block.is-collapsed").count() == 0
    assert page.js_errors == []


def test_a_brief_written_with_the_keyboard_saves_its_bullets_in_order(
    admin_page, labels, csp_violations
):
    page = admin_page
    page.goto("/admin/articles/article/add/")
    page.fill("#id_headline", "Ferries run again on the north line")
    add_section(page, 0, label="Why it matters")

    # Lead, then Enter to the first bullet, then Enter between bullets.
    type_rich(page, "id_sections-0-text", "Commuters had waited a month.")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.activeElement.closest('#sections-0-bullets-0')"
    )
    for n, text in enumerate(["Six boats a day.", "Fares unchanged.", "Oops"]):
        if n:
            page.keyboard.press("Enter")
            page.wait_for_function(
                f"() => document.activeElement.closest('#sections-0-bullets-{n}')"
            )
        page.keyboard.type(text)
    # Take the mistake back, then insert a bullet between the first two.
    for _ in "Oops":
        page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    rich(page, "id_sections-0-bullets-0-text").click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("Night crossings from June.")

    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    article = Article.objects.get(slug="ferries-run-again-on-the-north-line")
    section = article.sections.get()
    assert section.text == "Commuters had waited a month."
    assert [b.text for b in section.bullets.all()] == [
        "Six boats a day.",
        "Night crossings from June.",
        "Fares unchanged.",
    ]
    assert page.js_errors == []
    assert csp_violations == []
