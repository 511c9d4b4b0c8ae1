"""axe-core finds no accessibility violations on any reader page type, in the
light and the dark colour scheme, at phone and desktop widths; and the
pages raise no Content-Security-Policy violations in a real Chromium."""

import json

import pytest
from django.test import override_settings

from tests.reader_pages import build_site, require_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
VIEWPORTS = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 900},
}


@pytest.fixture
def site(tmp_path):
    with override_settings(TASKS=TASKS, MEDIA_ROOT=str(tmp_path)):
        yield build_site()


def axe_violations(page, axe_path) -> list[str]:
    page.add_script_tag(path=str(axe_path))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ") + " :: " + n.failureSummary)
            }));
        }"""
    )
    return [json.dumps(v, indent=1) for v in result]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_axe_finds_no_violations_on_any_reader_page(
    browser, live_server, site, scheme, width
):
    axe_path = require_axe()
    # add_script_tag inlines axe, which the pages' CSP would rightly block.
    context = browser.new_context(
        base_url=live_server.url,
        bypass_csp=True,
        color_scheme=scheme,
        reduced_motion="reduce",
        viewport=VIEWPORTS[width],
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems = {}
        for name, url in site.items():
            response = page.goto(url)
            assert response.status == (404 if name == "not-found" else 200), url
            if violations := axe_violations(page, axe_path):
                problems[url] = violations
        assert problems == {}, json.dumps(problems, indent=1)
    finally:
        context.close()


def test_reader_pages_raise_no_csp_violations(page, site):
    # JSON-LD blocks are data, not script: Chromium must not report them.
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    page.evaluate("() => true")
    for url in site.values():
        page.goto(url)
        page.evaluate(
            """() => new Promise(done => {
                document.addEventListener("securitypolicyviolation",
                    e => console.error("CSP " + e.violatedDirective + " " + e.blockedURI));
                setTimeout(done, 50);
            })"""
        )
    violations = [
        m for m in messages if "Content Security Policy" in m or m.startswith("CSP ")
    ]
    assert violations == []
    assert page.js_errors == []


def test_the_skip_link_is_first_and_moves_focus_to_the_content(page, site):
    page.goto("/briefs/harbour-cranes/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    outline = page.evaluate(
        "() => getComputedStyle(document.activeElement).outlineStyle"
    )
    assert outline != "none"  # visible focus
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#main"
    assert page.locator("h1").count() == 1
    landmarks = page.evaluate(
        "() => ['header', 'nav', 'main', 'footer'].map(t => document.querySelectorAll(t).length)"
    )
    assert all(landmarks)


def test_axe_does_report_a_known_violation(browser):
    # Guards the tests above against passing because axe never ran.
    axe_path = require_axe()
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.set_content('<html><body><img src="x.png"><a href="#"></a></body></html>')
        ids = {json.loads(v)["id"] for v in axe_violations(page, axe_path)}
        assert {"image-alt", "html-has-lang", "link-name"} <= ids
    finally:
        context.close()
